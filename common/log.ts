// Structured JSON logs on stderr (pino). Level from the option, else
// PUNCTUAL_LOG_LEVEL, else info. One line per significant event; nothing per
// request at info level.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level?: string): Logger {
  return pino({ name, level: level ?? process.env.PUNCTUAL_LOG_LEVEL ?? 'info', base: { pid: process.pid } }, pino.destination(2));
}
