import { startFauxqs } from 'fauxqs';

export interface SqsEmulator {
  /** `http://127.0.0.1:<port>`; every SQS client must set it as `endpoint`. */
  readonly endpoint: string;
  /** Stops the server; pending long polls are cut off. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts fauxqs (an in-process SQS emulator) on a free port. Its queue URLs name the host
 * `sqs.us-east-1.localhost`, which does not resolve: SDK clients still work because they send every
 * request to their `endpoint` and carry the queue URL in the body, so never build a client without it.
 */
export async function startSqsEmulator(): Promise<SqsEmulator> {
  const server = await startFauxqs({ port: 0, logger: false });
  let stopPromise: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    stop: () => {
      stopPromise ??= server.stop();
      return stopPromise;
    },
  };
}
