// Command testregistry is a loopback-only OCI registry for wasmgate's tests,
// built on go-containerregistry's pkg/registry with the OCI 1.1 referrers API
// switched on (or off with -referrers=false, to exercise the tag fallback).
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	referrers := flag.Bool("referrers", true, "serve the OCI 1.1 referrers API")
	portFile := flag.String("port-file", "", "write the bound address here once listening")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatalf("bad -addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		log.Fatalf("refusing to listen on %q: tests use loopback only", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *portFile != "" {
		if err := os.WriteFile(*portFile, []byte(ln.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	opts := []registry.Option{registry.Logger(log.New(os.Stderr, "", 0))}
	if *referrers {
		opts = append(opts, registry.WithReferrersSupport(true))
	}
	h := registry.New(opts...)
	if !*referrers {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/referrers/") {
				http.NotFound(w, r)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	log.Printf("testregistry listening on %s (referrers=%v)", ln.Addr(), *referrers)
	log.Fatal(http.Serve(ln, h))
}
