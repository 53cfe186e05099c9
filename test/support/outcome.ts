// How a client call ended, for tests that expect a status rather than a value:
// 'OK', or the gRPC status name of the PunctualClientError it threw (anything
// else is rethrown).
import { PunctualClientError } from '../../client/index.js';

export async function outcomeOf(p: Promise<unknown>): Promise<{ status: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PunctualClientError) return { status: err.statusName, message: err.message };
    throw err;
  }
  return { status: 'OK', message: '' };
}

export async function statusOf(p: Promise<unknown>): Promise<string> {
  return (await outcomeOf(p)).status;
}
