import { describe, expect, it } from 'vitest';
import { motoEndpoint } from '../support/moto.ts';

describe('moto server', () => {
  it('answers on the endpoint global-setup started', async () => {
    const r = await fetch(`${motoEndpoint()}/moto-api/data.json`);
    expect(r.status).toBe(200);
  });
});
