import { type LogLevel, logs } from '@inkwell/workflows/log-level';

type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface Logger {
  debug: Log;
  info: Log;
  warn: Log;
  error: Log;
}

/** One JSON line per event (what the log shippers read), errors and warnings on stderr. */
export function createLogger(level: LogLevel): Logger {
  const at = (name: keyof Logger): Log => {
    if (!logs(level, name)) return () => {};
    const stream = logs('warn', name) ? process.stderr : process.stdout;
    return (message, fields) => {
      stream.write(`${JSON.stringify({ level: name, time: new Date().toISOString(), service: 'collab-server', msg: message, ...fields })}\n`);
    };
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
