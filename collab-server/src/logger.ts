export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface Logger {
  debug: Log;
  info: Log;
  warn: Log;
  error: Log;
}

const RANKS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

/** One JSON line per event (what the log shippers read), errors and warnings on stderr. */
export function createLogger(level: LogLevel): Logger {
  const at = (name: Exclude<LogLevel, 'silent'>): Log => {
    if (RANKS[name] < RANKS[level]) return () => {};
    const stream = RANKS[name] >= RANKS.warn ? process.stderr : process.stdout;
    return (message, fields) => {
      stream.write(`${JSON.stringify({ level: name, time: new Date().toISOString(), service: 'collab-server', msg: message, ...fields })}\n`);
    };
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
