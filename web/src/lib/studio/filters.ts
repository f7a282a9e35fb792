/** The address a filter form asks for: its filled-in fields as the query, leaving out those at their default. */
export function filterHref(form: HTMLFormElement, pathname: string, defaults: Record<string, string> = {}): string {
  const pairs = [...new FormData(form)].flatMap(([key, value]) => (typeof value === 'string' && value && defaults[key] !== value ? [[key, value]] : []));
  const search = new URLSearchParams(pairs).toString();
  return search ? `${pathname}?${search}` : pathname;
}
