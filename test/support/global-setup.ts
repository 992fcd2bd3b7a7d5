// Starts the real servers integration tests talk to, once per run. Filled in as the rigs land.
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
