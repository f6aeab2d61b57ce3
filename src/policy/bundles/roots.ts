/** True when slash path `path` equals `root` or lies below it; the root "" covers everything. */
export function isUnder(path: string, root: string): boolean {
  const p = trimRoot(path);
  const r = trimRoot(root);
  return r === '' || p === r || p.startsWith(`${r}/`);
}

export function trimRoot(r: string): string {
  return r.split('/').filter((s) => s !== '').join('/');
}
