import { connect } from 'node:net';

/**
 * Scans bytes with clamd's INSTREAM command: `zINSTREAM\0`, then chunks prefixed with their length as a
 * big-endian u32, then a zero length; clamd answers `stream: OK` or `stream: <signature> FOUND`.
 */
export async function scanWithClamd(target: { host: string; port: number }, bytes: Buffer, timeoutMs = 30_000): Promise<{ infected: boolean; signature?: string }> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(target.port, target.host);
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('clamd did not answer in time')));
    socket.on('error', reject);
    socket.on('data', (data) => chunks.push(data));
    socket.on('end', () => {
      const reply = Buffer.concat(chunks).toString('utf8').replace(/\0/g, '').trim();
      const found = reply.match(/^stream: (.+) FOUND$/);
      if (found) resolvePromise({ infected: true, signature: found[1]! });
      else if (reply === 'stream: OK') resolvePromise({ infected: false });
      else reject(new Error(`unexpected clamd reply: ${reply.slice(0, 200)}`));
    });
    socket.on('connect', () => {
      socket.write('zINSTREAM\0');
      const CHUNK = 64 * 1024;
      for (let offset = 0; offset < bytes.length; offset += CHUNK) {
        const piece = bytes.subarray(offset, offset + CHUNK);
        const length = Buffer.alloc(4);
        length.writeUInt32BE(piece.length);
        socket.write(length);
        socket.write(piece);
      }
      socket.end(Buffer.alloc(4));
    });
  });
}
