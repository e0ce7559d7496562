export function stats(): Record<string, unknown> {
  return {};
}
