import { describe, expect, it } from 'vitest';
import { deviceOf, executorClass, notADevice, parseDevice } from './device.js';

describe('deviceOf and parseDevice', () => {
  it('take cpu, emulated and cuda:N, with N in decimal', () => {
    for (const f of [deviceOf, parseDevice]) {
      expect(f('cpu')).toBe('cpu');
      expect(f('emulated')).toBe('emulated');
      expect(f('cuda:0')).toBe('cuda:0');
      expect(f('cuda:12')).toBe('cuda:12');
      expect(f('cuda:03')).toBe('cuda:3');
    }
  });

  it('name no device for anything else', () => {
    for (const bad of ['', 'gpu', 'CPU', 'cuda', 'cuda:', 'cuda:x', 'cuda:-1', 'cuda:1.5', ' cpu', 'cpu ', 'cuda:0 ', 'emulated:0']) {
      expect(deviceOf(bad)).toBeUndefined();
      expect(() => parseDevice(bad)).toThrow(notADevice(bad));
    }
  });

  it('say what a device is and quote what was given', () => {
    expect(notADevice('gpu')).toBe('device must be cpu, cuda:N or emulated, not "gpu"');
    expect(() => parseDevice('tpu:0')).toThrow('device must be cpu, cuda:N or emulated, not "tpu:0"');
  });
});

describe('executorClass', () => {
  it('is the device and its threads on the CPU and the emulated device', () => {
    expect(executorClass('cpu', 1)).toBe('cpu/t1');
    expect(executorClass('cpu', 4)).toBe('cpu/t4');
    expect(executorClass('emulated', 2)).toBe('emulated/t2');
  });

  it('is one class for every GPU, whatever its index and threads', () => {
    expect(executorClass('cuda:0', 1)).toBe('cuda');
    expect(executorClass('cuda:7', 8)).toBe('cuda');
  });
});
