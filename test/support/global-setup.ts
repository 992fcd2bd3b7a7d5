// Starts the real servers integration tests talk to, once per run. Filled in as the rigs land.
import { startMoto } from './moto.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];

  // --- moto (AWS): one server per run; tests read KEDACTL_TEST_MOTO_ENDPOINT (forked workers inherit it)
  const moto = await startMoto();
  stops.push(() => moto.stop());
  process.env.KEDACTL_TEST_MOTO_ENDPOINT = moto.endpoint;
  // --- end moto

  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
