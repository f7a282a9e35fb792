import { describe, expect, it } from 'vitest';
import { parseBinaryMessage, parseTextMessage, promptIdOf } from './events.ts';

function frame(type: number, ...parts: Uint8Array[]): Uint8Array {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, type, false);
  const all = [head, ...parts];
  const out = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of all) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
};
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

describe('parseTextMessage', () => {
  it('types the messages ComfyUI sends', () => {
    expect(parseTextMessage('{"type":"progress","data":{"value":3,"max":20,"prompt_id":"p","node":"3"}}')).toEqual({ type: 'progress', data: { value: 3, max: 20, prompt_id: 'p', node: '3' } });
    expect(parseTextMessage('{"type":"executing","data":{"node":null,"prompt_id":"p"}}')).toEqual({ type: 'executing', data: { node: null, prompt_id: 'p' } });
    // After a reconnect ComfyUI sends the running node alone.
    expect(parseTextMessage('{"type":"executing","data":{"node":"3"}}')).toEqual({ type: 'executing', data: { node: '3' } });
    expect(parseTextMessage('{"type":"status","data":{"status":{"exec_info":{"queue_remaining":2}},"sid":"x"}}').type).toBe('status');
  });

  it('keeps malformed or foreign messages as unknown instead of trusting them', () => {
    expect(parseTextMessage('not json')).toMatchObject({ type: 'unknown', messageType: 'invalid_json' });
    expect(parseTextMessage('{"type":"progress","data":{"value":"x"}}')).toMatchObject({ type: 'unknown', messageType: 'progress' });
    expect(parseTextMessage('{"type":"execution_success","data":"{\\"prompt_id\\": \\"p\\"}"}')).toMatchObject({ type: 'unknown', messageType: 'execution_success' });
    expect(parseTextMessage('{"type":"crystools.monitor","data":{"cpu":3}}')).toEqual({ type: 'unknown', messageType: 'crystools.monitor', data: { cpu: 3 } });
  });
});

describe('parseBinaryMessage', () => {
  it('type 1: [u32 1][u32 format][image]', () => {
    const e = parseBinaryMessage(frame(1, u32(1), JPEG));
    expect(e).toMatchObject({ type: 'preview', binaryType: 1, mimeType: 'image/jpeg' });
    expect(e.type === 'preview' && [...e.image]).toEqual([...JPEG]);
    expect(parseBinaryMessage(frame(1, u32(2), JPEG))).toMatchObject({ mimeType: 'image/png' });
  });

  it('type 4: [u32 4][u32 length][JSON metadata][image]', () => {
    const meta = new TextEncoder().encode(JSON.stringify({ node_id: '3', prompt_id: 'p1', image_type: 'image/jpeg' }));
    const e = parseBinaryMessage(frame(4, u32(meta.length), meta, JPEG));
    expect(e).toMatchObject({ type: 'preview', binaryType: 4, mimeType: 'image/jpeg', metadata: { node_id: '3', prompt_id: 'p1' } });
    expect(e.type === 'preview' && [...e.image]).toEqual([...JPEG]);
    expect(promptIdOf(e)).toBe('p1');
  });

  it('type 3 text, and anything else as unknown', () => {
    const id = new TextEncoder().encode('12');
    expect(parseBinaryMessage(frame(3, u32(id.length), id, new TextEncoder().encode('hello')))).toEqual({ type: 'text', nodeId: '12', text: 'hello' });
    expect(parseBinaryMessage(frame(9, JPEG))).toMatchObject({ type: 'unknown', messageType: 9 });
    expect(parseBinaryMessage(frame(4, u32(999), JPEG))).toMatchObject({ type: 'unknown', messageType: 4 });
    expect(parseBinaryMessage(new Uint8Array([1, 2]))).toMatchObject({ type: 'unknown' });
  });
});
