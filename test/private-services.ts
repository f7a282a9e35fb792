// A Redis and a Postgres of a test's own, on free ports with their data in a temporary folder, so that a
// fault test can stop and restart them without touching the machine's servers or anyone else's tests.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export interface PrivateServer {
  url: string;
  /** Kills the server at once, as a crash would; what it acknowledged stays on disk. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (nothing when it runs). */
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  remove(): Promise<void>;
}

/** redis-server with an append-only file written on every command, as production keeps its queue. */
export async function startRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'inkwell-redis-'));
  let server: ChildProcess | undefined;
  const running = () => server !== undefined && server.exitCode === null && server.signalCode === null;
  const start = async () => {
    if (running()) return;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()).includes('Ready to accept') && resolve());
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
      child.once('error', reject);
    });
    server = child;
  };
  const kill = async () => {
    if (!running()) return;
    server!.kill('SIGKILL');
    await once(server!, 'exit');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    remove: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The newest PostgreSQL server programs installed the Debian way, or null. */
function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/**
 * A PostgreSQL cluster of the test's own (initdb into a temporary folder, trust on loopback). Postgres
 * refuses to run as root: as root, its programs run as the `postgres` user, which owns the folder.
 */
export async function startPostgres(database: string): Promise<PrivateServer> {
  const bin = postgresBin();
  if (!bin) throw new Error('These tests start a Postgres of their own: install PostgreSQL (apt-get install postgresql), which provides /usr/lib/postgresql/*/bin/initdb');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'inkwell-postgres-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, id('-u'), id('-g'));
  }
  const run = (program: string, args: string[]) => {
    const [command, ...rest] = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, program), ...args] : [join(bin, program), ...args];
    execFileSync(command!, rest, { stdio: 'pipe' });
  };
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  // Sockets in the private folder, fsync off: a killed server still keeps what it committed (the OS has it).
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const running = () => existsSync(join(data, 'postmaster.pid'));
  const start = async () => {
    if (!running()) run('pg_ctl', ['start', '-w', '-D', data, '-l', join(dir, 'log'), '-o', options]);
  };
  const kill = async () => {
    // `immediate` is Postgres' own crash stop: every backend quits at once, clients see their connections drop.
    if (running()) run('pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', data]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    kill,
    start,
    remove: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
