import { describe, expect, it } from 'vitest';
import { parseNamedTargets, parseTarget, TargetSyntaxError } from './target-url.js';

const controller = '127.0.0.1:7000';

describe('parseTarget', () => {
  it('defaults to Punctual’s own protocol at --controller', () => {
    expect(parseTarget({ controller })).toEqual({ protocol: 'punctual', transport: 'grpc', tls: false, authority: '127.0.0.1:7000', basePath: '', url: 'grpc://127.0.0.1:7000' });
    // A CA makes the scheme-less controller TLS, as --tls-ca always did.
    expect(parseTarget({ controller, tlsCa: true }).url).toBe('grpcs://127.0.0.1:7000');
  });

  it('--protocol v2 at --controller: gRPC unless --transport http', () => {
    expect(parseTarget({ controller, protocol: 'v2' })).toMatchObject({ protocol: 'v2', transport: 'grpc', url: 'grpc://127.0.0.1:7000' });
    expect(parseTarget({ controller: 'h:8000', protocol: 'v2', transport: 'http' })).toMatchObject({ protocol: 'v2', transport: 'http', url: 'http://h:8000' });
  });

  it('reads each scheme; a --target implies v2', () => {
    expect(parseTarget({ controller, target: 'grpc://triton:8001' })).toMatchObject({ protocol: 'v2', transport: 'grpc', tls: false, authority: 'triton:8001' });
    expect(parseTarget({ controller, target: 'grpcs://triton:8001' })).toMatchObject({ transport: 'grpc', tls: true, url: 'grpcs://triton:8001' });
    expect(parseTarget({ controller, target: 'http://kserve:8080' })).toMatchObject({ transport: 'http', tls: false, authority: 'kserve:8080', basePath: '' });
    expect(parseTarget({ controller, target: 'https://gw.example/serving/m1/' })).toMatchObject({ transport: 'http', tls: true, authority: 'gw.example:443', basePath: '/serving/m1', url: 'https://gw.example:443/serving/m1' });
    expect(parseTarget({ controller, target: 'http://h' }).authority).toBe('h:80');
    expect(parseTarget({ controller, target: 'grpc://[::1]:8001' }).authority).toBe('[::1]:8001');
    expect(parseTarget({ controller, target: 'triton:8001' })).toMatchObject({ protocol: 'v2', transport: 'grpc', url: 'grpc://triton:8001' });
    expect(parseTarget({ controller, target: 'triton:8000', transport: 'http' }).url).toBe('http://triton:8000');
  });

  it('keeps Punctual’s protocol at a gRPC --target when asked', () => {
    expect(parseTarget({ controller, target: 'grpcs://c:7000', protocol: 'punctual' })).toMatchObject({ protocol: 'punctual', tls: true, authority: 'c:7000' });
  });

  it.each([
    [{ target: 'http://h:8000', protocol: 'punctual' as const }, /gRPC only/],
    [{ target: 'grpc://h:8001', transport: 'http' as const }, /contradicts/],
    [{ target: 'grpc://h' }, /needs a port/],
    [{ target: 'grpc://h:8001/x' }, /no path/],
    [{ target: 'ftp://h:21' }, /unknown scheme ftp/],
    [{ target: 'http://user:pw@h:8000' }, /--token/],
    [{ target: 'http://h:8000/v2' }, /without \/v2/],
    [{ target: 'http://h:8000?x=1' }, /no query/],
    [{ target: 'grpc://h:99999' }, /not a URL|port/],
    [{ target: 'h:0' }, /port "0"/],
    [{ target: 'just-a-host' }, /not host:port/],
    [{ protocol: 'punctual' as const, transport: 'http' as const }, /gRPC only/],
  ])('refuses %j', (choice, message) => {
    expect(() => parseTarget({ controller, ...choice })).toThrow(TargetSyntaxError);
    expect(() => parseTarget({ controller, ...choice })).toThrow(message);
  });
});

describe('parseNamedTargets', () => {
  it('reads NAME=URL pairs, naming a bare one by its address', () => {
    expect(parseNamedTargets('punctual=grpc://127.0.0.1:7000, triton=grpc://gpu1:8001')).toEqual([
      { name: 'punctual', target: 'grpc://127.0.0.1:7000' },
      { name: 'triton', target: 'grpc://gpu1:8001' },
    ]);
    expect(parseNamedTargets('local,http://kserve:8080').map((t) => t.name)).toEqual(['local', 'kserve_8080']);
  });

  it('wants two or more, with different names', () => {
    expect(() => parseNamedTargets('a=grpc://h:1')).toThrow(/at least two/);
    expect(() => parseNamedTargets('a=grpc://h:1,a=grpc://h:2')).toThrow(/names a twice/);
  });
});
