/**
 * The worker's log: one line per event, as concise text (`2026-01-02T03:04:05.678Z info job 1a2b… succeeded
 * outputs=1 ms=812`) or as JSON lines (`KILN_LOG_FORMAT=json`). Job transitions use `job(...)`, so each one is
 * exactly one line with the job id, the transition and its fields.
 */

export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A job transition: `job <id> <transition> key=value…`. */
  job(jobId: string, transition: string, fields?: LogFields): void;
}

/** A logger writing lines through `write` (stdout for info, stderr for warnings and errors). */
export function createLogger(
  format: "text" | "json",
  write: (line: string, level: LogLevel) => void,
  now: () => Date = () => new Date(),
): Logger {
  const emit = (level: LogLevel, message: string, fields: LogFields = {}) => {
    const defined = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (format === "json") {
      write(JSON.stringify({ time: now().toISOString(), level, msg: message, ...Object.fromEntries(defined) }), level);
      return;
    }
    const shown = (v: unknown) =>
      typeof v === "string"
        ? /\s|=|"/.test(v)
          ? JSON.stringify(v)
          : v
        : typeof v === "object"
          ? JSON.stringify(v)
          : v;
    const tail = defined.map(([k, v]) => `${k}=${shown(v)}`);
    write([now().toISOString(), level, message, ...tail].join(" "), level);
  };
  return {
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    job: (jobId, transition, f = {}) =>
      emit(transition === "failed" || transition === "fail_retry" ? "warn" : "info", `job ${jobId} ${transition}`, {
        ...(format === "json" ? { job: jobId, transition } : {}),
        ...f,
      }),
  };
}

/** A logger that keeps lines in memory (tests) and optionally echoes them. */
export function memoryLogger(echo = false): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger("text", (line) => {
    lines.push(line);
    if (echo) console.log(line);
  });
  return Object.assign(logger, { lines });
}
