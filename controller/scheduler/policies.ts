// The registered scheduling policies, by name (see policy.ts).
import { fifoPolicy } from './fifo-policy.js';
import type { Policy, SchedulingPolicy } from './policy.js';
import { punctualPolicy } from './punctual-policy.js';

const REGISTRY: Record<Policy, SchedulingPolicy> = { punctual: punctualPolicy, fifo: fifoPolicy };

export function policyNamed(name: Policy): SchedulingPolicy {
  return REGISTRY[name];
}
