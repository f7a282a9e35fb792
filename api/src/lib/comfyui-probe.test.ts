import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createComfyProbe } from './comfyui-probe.ts';

let server: Server | undefined;
afterEach(() => void server?.close());

/** A ComfyUI stand-in that counts its /object_info requests, failing the first `failures` of them. */
async function counting(failures = 0) {
  const hits = { objectInfo: 0 };
  server = createServer((request, response) => {
    if (request.url === '/object_info') hits.objectInfo++;
    const failing = hits.objectInfo <= failures;
    response.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
    response.end(failing ? '{}' : JSON.stringify({ KSampler: { input: {} } }));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

describe('createComfyProbe', () => {
  it('keeps an instance’s node catalogue for a minute, then asks again', async () => {
    const { url, hits } = await counting();
    let clock = 0;
    const probe = createComfyProbe({ timeoutMs: 1000, now: () => clock });
    expect(await probe.objectInfo(url)).toEqual({ KSampler: { input: {} } });
    clock = 59_000;
    await probe.objectInfo(url);
    expect(hits.objectInfo).toBe(1);
    clock = 61_000;
    await probe.objectInfo(url);
    expect(hits.objectInfo).toBe(2);
  });

  it('does not keep a failed answer', async () => {
    const { url, hits } = await counting(1);
    const probe = createComfyProbe({ timeoutMs: 1000, now: () => 0 });
    await expect(probe.objectInfo(url)).rejects.toThrow(/500/);
    await expect(probe.objectInfo(url)).resolves.toEqual({ KSampler: { input: {} } });
    expect(hits.objectInfo).toBe(2);
  });
});
