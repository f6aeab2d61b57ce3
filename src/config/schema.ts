/**
 * The config file's JSON Schema: OPA's shape where OPA has the concept
 * (docs/configuration.md), wasmgate's own keys beside them. Defaults are
 * injected by ajv while validating. `description` is the fix shown in errors.
 */

const str = { type: 'string' } as const;
const posInt = { type: 'integer', minimum: 1 } as const;
const nonNegInt = { type: 'integer', minimum: 0 } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
/** `registry[:port]/path` without tag or digest */
const REPOSITORY_PATTERN = '^[^/\\s@]+/[^\\s@:]+$';

const credentials = {
  type: 'object',
  description: 'one of bearer, client_tls, oauth2, … as OPA accepts',
  properties: {
    bearer: {
      type: 'object',
      properties: { token: str, token_path: str, scheme: { type: 'string', default: 'Bearer' } },
      additionalProperties: false,
    },
  },
  additionalProperties: true,
} as const;

const service = {
  type: 'object',
  description: 'a service: {url: https://…, headers?, credentials?, tls?}',
  required: ['url'],
  properties: {
    name: str,
    url: { type: 'string', minLength: 1, description: 'the service base URL, e.g. https://logs.example.com' },
    type: { type: 'string', enum: ['oci', 'http'] },
    headers: stringMap,
    response_header_timeout_seconds: { type: 'integer', minimum: 0, default: 10 },
    allow_insecure_tls: { type: 'boolean', default: false },
    tls: {
      type: 'object',
      properties: {
        ca_cert: str,
        system_ca_required: { not: {}, description: 'remove it: with tls.ca_cert wasmgate trusts only that CA, without it the system CAs (OPA\'s system_ca_required is not implemented)' },
      },
      additionalProperties: false,
    },
    credentials,
  },
  additionalProperties: false,
} as const;

const delayPair = {
  type: 'object',
  properties: {
    min_delay_seconds: { ...posInt, description: 'seconds, set together with max_delay_seconds (max ≥ min)' },
    max_delay_seconds: { ...posInt, description: 'seconds, set together with min_delay_seconds (max ≥ min)' },
    long_polling_timeout_seconds: posInt,
  },
  additionalProperties: false,
} as const;

const jsonPointer = { type: 'string', pattern: '^/(input|result)(/[^/]*)*$', description: 'a JSON pointer under /input or /result, `*` matches any array index or key' } as const;

export const DEFAULT_ERASE = [
  '/input/signatures/*/predicate',
  '/input/sbom_attestations/*/predicate',
  '/input/provenance_attestations/*/predicate',
  '/input/other_attestations/*/predicate',
] as const;

export const configSchema = {
  $id: 'https://wasmgate.dev/schemas/config.json',
  type: 'object',
  additionalProperties: false,
  properties: {
    services: {
      description: 'a map of name → service, or a list of services with `name`',
      default: {},
      oneOf: [
        { type: 'object', additionalProperties: service },
        { type: 'array', items: { ...service, required: ['name', 'url'] } },
      ],
    },
    labels: { ...stringMap, default: {}, description: 'string labels added to decision logs and status (id and version are added)' },
    keys: {
      type: 'object',
      default: {},
      description: 'a map of key id → {algorithm, key}',
      additionalProperties: {
        type: 'object',
        properties: {
          algorithm: { type: 'string', default: 'RS256' },
          key: str,
          private_key: { not: {}, description: 'remove it: wasmgate only verifies bundles (keys.*.key); sign them with `wasmgate bundle sign`' },
          scope: str,
        },
        additionalProperties: false,
      },
    },
    bundles: {
      type: 'object',
      default: {},
      description: 'a map of bundle name → {service?, resource?, signing?, polling?, persist?}',
      additionalProperties: {
        type: 'object',
        properties: {
          service: str,
          resource: str,
          persist: { type: 'boolean', default: false },
          size_limit_bytes: { ...posInt, default: 1073741824 },
          trigger: { type: 'string', enum: ['periodic', 'manual'], default: 'periodic' },
          schedule: { type: 'string', minLength: 1, description: 'a node-cron expression (e.g. "*/5 * * * *") that drives bundle checks instead of min/max polling' },
          polling: delayPair,
          signing: {
            type: 'object',
            properties: {
              keyid: str,
              scope: str,
              exclude_files: { type: 'array', items: str },
            },
            additionalProperties: false,
          },
        },
        additionalProperties: false,
      },
    },
    decision_logs: {
      type: 'object',
      default: {},
      properties: {
        service: { type: 'string', description: 'a name from `services` to upload decision logs to' },
        resource: { type: 'string', default: '/logs' },
        partition_name: str,
        console: { type: 'boolean', default: false, description: 'true to log each decision as a JSON line on stdout' },
        file: { type: ['string', 'null'], default: null, description: 'a path to append JSON-lines decision events to' },
        mask_decision: { type: 'string', default: '/system/log/mask', pattern: '^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', description: 'a policy path in the active bundle (compiled as an entrypoint) answering the JSON pointers to erase, e.g. /system/log/mask' },
        drop_decision: { type: 'string', default: '/system/log/drop', pattern: '^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', description: 'a policy path in the active bundle (compiled as an entrypoint) that is true for events not to log, e.g. /system/log/drop' },
        erase: {
          type: 'array',
          items: jsonPointer,
          default: [],
          description: 'JSON pointers removed from logged events, e.g. the evidence predicates [/input/sbom_attestations/*/predicate]; default [] logs inputs whole (replayable)',
        },
        max_predicate_bytes: {
          ...nonNegInt,
          default: 32768,
          description: 'an evidence predicate whose JSON is longer is erased from the logged input (its sha256 kept for `wasmgate replay`); 0 keeps every predicate whole',
        },
        mask: {
          type: 'array',
          default: [],
          description: 'list of {path: /input/…, value?} replacing a logged value (default value "**REDACTED**")',
          items: {
            type: 'object',
            required: ['path'],
            properties: { path: jsonPointer, value: {} },
            additionalProperties: false,
          },
        },
        reporting: {
          type: 'object',
          default: {},
          properties: {
            buffer_type: { type: 'string', enum: ['size', 'event'], default: 'event', description: 'event: keep at most buffer_size_limit_events; size: keep at most buffer_size_limit_bytes (unbounded when unset)' },
            buffer_size_limit_events: { ...posInt, default: 10000 },
            buffer_size_limit_bytes: nonNegInt,
            upload_size_limit_bytes: { type: 'integer', minimum: 90, default: 32768 },
            min_delay_seconds: { ...posInt, description: 'seconds, set together with max_delay_seconds (max ≥ min)' },
            max_delay_seconds: { ...posInt, description: 'seconds, set together with min_delay_seconds (max ≥ min)' },
            max_decisions_per_second: { type: ['number', 'null'], exclusiveMinimum: 0, description: 'a rate limit on logged decisions (beyond it events are dropped and counted), e.g. 100' },
            trigger: { type: 'string', enum: ['periodic', 'immediate', 'manual'], default: 'periodic' },
          },
          additionalProperties: false,
        },
        request_context: {
          type: 'object',
          description: '{http: {headers: [X-Request-Id, …]}}: request headers copied into each event',
          properties: {
            http: {
              type: 'object',
              properties: { headers: { type: 'array', items: { type: 'string', pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }, description: 'HTTP header names, e.g. [X-Request-Id]' } },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    status: {
      type: 'object',
      default: {},
      properties: {
        service: str,
        partition_name: str,
        console: { type: 'boolean', default: false, description: 'true to log each status change as a JSON line ("msg":"Status Log")' },
        prometheus: { type: 'boolean', default: false, description: 'true to include the Prometheus metrics in /v1/status (GET /metrics always serves them)' },
        trigger: { type: 'string', enum: ['periodic'], default: 'periodic', description: 'periodic (upload on every status change); wasmgate has no manual trigger' },
      },
      additionalProperties: false,
    },
    default_decision: { type: 'string', default: '/system/main', pattern: '^/?[^\\s]*$' },
    default_authorization_decision: { not: {}, description: 'remove it: wasmgate has no authorization layer (OPA uses this only with --authorization=basic); restrict access with listeners (loopback, unix socket mode)' },
    persistence_directory: { type: 'string', default: '.wasmgate', description: 'a directory for the last good bundle and the vulnerability DB cache' },
    nd_builtin_cache: { type: 'boolean', default: false, description: 'true to log nd_builtin_cache in decision events' },
    server: {
      type: 'object',
      default: {},
      properties: {
        decoding: {
          type: 'object',
          default: {},
          properties: {
            max_length: { ...posInt, default: 1048576, description: 'the largest request body in bytes (default 1 MiB)' },
            max_depth: { type: 'integer', minimum: 2, maximum: 10000, default: 64, description: 'the deepest JSON nesting accepted in a request body' },
            gzip: {
              type: 'object',
              default: {},
              properties: { max_length: { ...posInt, default: 8388608, description: 'the largest gunzipped request body in bytes' } },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
        encoding: {
          type: 'object',
          default: {},
          properties: {
            gzip: {
              type: 'object',
              default: {},
              properties: {
                min_length: { ...nonNegInt, default: 1024, description: 'answers from this many bytes are gzipped for clients that accept it' },
                compression_level: { type: 'integer', minimum: 0, maximum: 9, default: 9 },
              },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
        metrics: {
          type: 'object',
          default: {},
          properties: {
            prom: {
              type: 'object',
              default: {},
              properties: {
                http_request_duration_seconds: {
                  type: 'object',
                  default: {},
                  properties: { buckets: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1 } },
                  additionalProperties: false,
                },
              },
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
        shutdown_grace_ms: { ...posInt, default: 10000, description: 'how long to let in-flight requests finish on SIGTERM' },
      },
      additionalProperties: false,
    },
    plugins: { type: 'object', maxProperties: 0, default: {}, description: 'remove the entries: wasmgate has no plugins (its own settings have their own keys, see docs/service.md)' },
    cache: {
      type: 'object',
      default: {},
      description: 'caches beside the local ones (deploy/fleet/README.md)',
      properties: {
        shared: {
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['url'],
              properties: {
                url: { type: 'string', pattern: '^rediss?://', description: 'redis://host:6379/0 or rediss://… (TLS); a Valkey server speaks the same protocol' },
                username: { type: 'string', description: 'ACL user, e.g. ${REDIS_USERNAME}' },
                password: { type: 'string', description: 'e.g. ${REDIS_PASSWORD} (environment), or use password_file' },
                password_file: { type: 'string', description: 'a file holding the password (relative to this file)' },
                tls: {
                  type: 'object',
                  properties: { ca_cert: { type: 'string' }, server_name: { type: 'string' } },
                  additionalProperties: false,
                },
                key_prefix: { type: 'string', default: 'wasmgate:', description: 'every key starts with it; give the ACL user only ~wasmgate:*' },
                ttl_seconds: { ...posInt, default: 3600 },
                decisions: { type: 'boolean', default: true, description: 'share decisions for digest-pinned refs (false: only verified-evidence results and vulnerability scans are shared)' },
                integrity_key_file: { type: 'string', description: 'a secret shared by the fleet: entries are HMAC-sealed and only sidecars holding it can write ones the others accept' },
                lock_ms: { ...posInt, default: 5000, description: 'single-flight lock expiry' },
                wait_ms: { ...nonNegInt, default: 400, description: 'how long to wait for another sidecar\'s answer before deciding here (keep it below decision.deadline_ms)' },
                connect_timeout_ms: { ...posInt, default: 1000 },
                command_timeout_ms: { ...posInt, default: 100, description: 'a slower answer is a miss' },
                max_backoff_ms: { ...posInt, default: 5000, description: 'reconnect backoff cap' },
              },
              additionalProperties: false,
            },
          ],
          default: null,
        },
      },
      additionalProperties: false,
    },
    ui: {
      type: 'object',
      default: {},
      description: 'the decision explorer at /ui/ (docs/ui.md)',
      properties: {
        enabled: { type: ['boolean', 'null'], default: null, description: 'true/false; unset: on when every listener is loopback or a Unix socket' },
        max_decisions: { ...posInt, maximum: 100000, default: 200, description: 'how many recent decisions the explorer keeps in memory' },
      },
      additionalProperties: false,
    },
    integrations: {
      type: 'object',
      default: {},
      description: 'front ends beside the HTTP API (deploy/README.md)',
      properties: {
        wasmcloud: {
          anyOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['nats_url'],
              properties: {
                nats_url: { ...str, minLength: 1, description: 'NATS server(s), e.g. nats://127.0.0.1:4222' },
                policy_topic: { ...str, default: 'wasmcloud.policy', description: 'the host\'s --policy-topic' },
                changes_topic: { type: ['string', 'null'], default: 'wasmcloud.policy.changes', description: 'the host\'s --policy-changes-topic; null: no overrides' },
                invocation: { enum: ['allow', 'deny', 'decide'], default: 'allow', description: 'how performInvocation is answered' },
                deadline_ms: { ...posInt, default: 900, description: 'per answer; below host_timeout_ms' },
                host_timeout_ms: { ...posInt, default: 1000, description: 'the host\'s --policy-timeout-ms' },
                recheck_deadline_ms: { ...posInt, default: 30000 },
                max_cached_requests: { ...posInt, default: 10000 },
                queue_group: { type: ['string', 'null'], default: null },
                path: { ...str, default: 'wasm/sbom' },
              },
              additionalProperties: false,
            },
          ],
          default: null,
        },
        gatekeeper: {
          type: 'object',
          default: {},
          properties: {
            enabled: { type: 'boolean', default: false },
            path: { ...str, pattern: '^/', default: '/gatekeeper/v1/provide' },
            deadline_ms: { ...posInt, default: 2500 },
            max_keys: { ...posInt, default: 100 },
            concurrency: { ...posInt, default: 8 },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },

    // wasmgate's own keys
    registries: {
      type: 'object',
      default: {},
      properties: {
        allow: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          description: 'registry hosts (host or host:port, `*.example.com` wildcards) modules may come from; [] allows none (oci: layouts are governed by registries.layouts)',
        },
        insecure: { type: 'array', items: str, default: [], description: 'hosts spoken to over plain HTTP (loopback test registries)' },
        tag_ttl_seconds: { type: 'integer', minimum: 0, default: 0, description: 'how long a registry tag\'s resolution (one HEAD) is reused before the registry is asked again; 0 = every decision by tag asks' },
        layouts: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          description: 'directories oci: layout references from the API may be read from (relative to the config file; symlinks are resolved and must stay inside); [] allows none. The CLI reads any layout you name',
        },
        token_realms: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          description: "hosts (host, host:port, *.example.com) of token services wasmgate may send a registry's credentials to, besides the registry's own host",
        },
        redirect_hosts: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          default: [],
          description: "hosts (host, host:port, *.example.com) registries may redirect blob and manifest downloads to, besides the registry's own origin (e.g. the registry's blob storage)",
        },
        docker_config: { type: ['string', 'null'], default: null, description: 'path to a Docker config.json (default $DOCKER_CONFIG/config.json, then ~/.docker/config.json)' },
        signature_repositories: {
          type: 'object',
          default: {},
          description: "cosign's COSIGN_REPOSITORY: {\"registry/repo\": [\"registry/other-repo\", …]}: where else signatures and attestations of a module repository are stored (full names: Docker Hub as docker.io/library/x)",
          propertyNames: { type: 'string', pattern: REPOSITORY_PATTERN },
          additionalProperties: {
            type: 'array',
            items: { type: 'string', pattern: REPOSITORY_PATTERN, description: 'a repository as registry/path (registry may have a :port), without tag or digest' },
          },
        },
        limits: {
          type: 'object',
          default: {},
          properties: {
            manifest_bytes: { ...posInt, default: 4194304 },
            blob_bytes: { ...posInt, default: 134217728 },
            attestation_bytes: { ...posInt, default: 16777216 },
            referrers: { ...posInt, default: 128 },
            request_timeout_ms: { ...posInt, default: 5000 },
            concurrency: { ...posInt, default: 8 },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    trust: { type: 'object', default: {}, description: 'the trust configuration (validated by the verification module)' },
    vulnerability_db: {
      type: 'object',
      default: {},
      properties: {
        path: { type: ['string', 'null'], default: null, description: 'a directory or file with OSV records' },
        refresh: {
          type: 'object',
          default: {},
          properties: {
            url: { type: ['string', 'null'], default: null },
            schedule: { type: ['string', 'null'], default: null, description: 'a cron expression, e.g. "0 */6 * * *"' },
          },
          additionalProperties: false,
        },
        count_informational: { type: 'boolean', default: false },
        required: {
          type: 'boolean',
          default: true,
          description: 'true (default): no, unloadable or stale vulnerability data denies every decision; false only to decide without vulnerability data',
        },
        max_age: {
          type: ['string', 'null'],
          pattern: '^[1-9][0-9]*(s|m|h|d)$',
          default: '7d',
          description: 'the oldest vulnerability data that may decide, e.g. "7d", "36h"; null for no limit. Age: since the last successful download (or 304) of refresh.url, else since the newest record\'s modified time',
        },
      },
      additionalProperties: false,
    },
    decision: {
      type: 'object',
      default: {},
      properties: {
        paths: {
          type: 'array',
          items: { type: 'string', pattern: '^/?[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$' },
          minItems: 1,
          default: ['wasm/sbom'],
          description: 'policy paths that wasmgate answers by assembling evidence itself, e.g. [wasm/sbom]',
        },
        deadline_ms: { type: 'integer', minimum: 1, maximum: 600000, default: 900, description: 'the per-decision time budget in milliseconds, e.g. 900' },
        admission: {
          type: 'object',
          default: {},
          description: 'bound on decisions computed at once (cache misses); beyond max_concurrent they queue, beyond max_queued they are denied at once with reason overloaded',
          properties: {
            max_concurrent: { ...posInt, default: 32, description: 'uncached decisions computed at once, e.g. 32' },
            max_queued: { ...nonNegInt, default: 256, description: 'uncached decisions waiting for a slot, e.g. 256; 0 sheds everything beyond max_concurrent' },
          },
          additionalProperties: false,
        },
        cache: {
          type: 'object',
          default: {},
          properties: {
            ttl_seconds: { ...nonNegInt, default: 300, description: 'seconds a decision stays cached; 0 disables the cache' },
            max_entries: { ...posInt, default: 10000 },
            verification_entries: { ...nonNegInt, default: 4096, description: 'verification results cached by content (evidence digests, subject, trust); 0 disables' },
          },
          additionalProperties: false,
        },
        evaluation: {
          type: 'object',
          default: {},
          properties: {
            threads: { type: ['integer', 'null'], minimum: 0, default: null, description: 'policy evaluation worker threads; null: the cores less one (at least 1); 0: evaluate on the event loop' },
            max_queue: { ...posInt, default: 256, description: 'evaluations waiting for a worker at most; over it a decision is denied with reason overloaded' },
            nice: { type: 'integer', minimum: 0, maximum: 19, default: 0, description: 'how much lower the workers\' scheduling priority is (Linux nice); higher favours cached answers but puts evaluations behind every other process on the host' },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    listeners: {
      type: 'object',
      default: {},
      properties: {
        tcp: {
          type: ['string', 'null'],
          default: '127.0.0.1:8181',
          pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
          description: 'host:port to listen on, e.g. "127.0.0.1:8181"; null for no TCP listener',
        },
        unix: {
          default: null,
          oneOf: [
            { type: 'null' },
            {
              type: 'object',
              required: ['path'],
              properties: {
                path: { type: 'string', minLength: 1 },
                mode: { type: 'string', pattern: '^0?[0-7]{3}$', default: '0660', description: 'octal file mode, e.g. "0660"' },
              },
              additionalProperties: false,
            },
          ],
          description: '{path: /run/wasmgate.sock, mode: "0660"} or null',
        },
      },
      additionalProperties: false,
    },
  },
} as const;

/** The top-level keys the schema knows, for "did you mean" hints. */
export const TOP_LEVEL_KEYS: readonly string[] = Object.keys(configSchema.properties);
