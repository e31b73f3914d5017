import { Body, Controller, Get, INestApplication, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { guardBreaches, probeRoutes, registeredRoutes, RouteProbe, routeName, tokenFor } from '../testing';
import { NamesAccount, Roles } from './decorators';
import { DEV_AUTH_SECRET } from './key';
import { HttpAuthModule } from './module';

@Controller('health')
class Health {
  @Get('live')
  live() {
    return { status: 'ok' };
  }
}

@Controller('things')
class Things {
  @Get(':accountId')
  @Roles('reader', 'app-backend')
  @NamesAccount({ param: 'accountId' })
  read(@Param('accountId') accountId: string) {
    return { accountId };
  }

  @Post()
  @Roles('shop-backend')
  @NamesAccount({ body: 'accountId' })
  write(@Body() body: unknown) {
    return body;
  }

  /** Someone forgot @Roles: nobody gets in. */
  @Get()
  forgotten() {
    return { leaked: true };
  }
}

const settings = { NODE_ENV: 'test', HTTP_RATE_LIMIT_PER_MINUTE: 0 };

@Module({ imports: [HttpAuthModule.forRoot(settings)], controllers: [Health, Things] })
class App {}

describe('AuthGuard on a small app', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    app = await NestFactory.create(App, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('finds the routes from the router', () => {
    expect(registeredRoutes(app).map(routeName).sort()).toEqual([
      'GET /health/live',
      'GET /things',
      'GET /things/:accountId',
      'POST /things',
    ]);
  });

  it('leaves /health/* open, refuses a missing or malformed bearer with 401 and a challenge', async () => {
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    const none = await fetch(`${url}/things/a`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="heart-pack"');
    expect((await fetch(`${url}/things/a`, { headers: { authorization: 'Basic b3BzOm9wcw==' } })).status).toBe(401);
    expect((await fetch(`${url}/things/a`, { headers: { authorization: 'Bearer not-a-jwt' } })).status).toBe(401);
  });

  it('refuses a route without roles to every role, so the per-app route tests fail on it', async () => {
    const probes = await probeRoutes(app, url, settings);
    const forgotten = probes.find((p) => p.method === 'GET' && p.path === '/things');
    expect(forgotten?.anonymous).toBe(401);
    expect(Object.values(forgotten?.byRole ?? {})).toEqual([403, 403, 403, 403, 403]);
    expect(probes.find((p) => p.path === '/things/:accountId')?.byRole).toEqual({
      ops: 403,
      reader: 200,
      'app-backend': 200,
      'shop-backend': 403,
      'pass-dispatcher': 403,
    });
    expect(guardBreaches(probes, ['GET /health/live', 'POST /things', 'DELETE /things'])).toEqual([
      'DELETE /things: not registered',
      'GET /things: lets no role through',
    ]);
  });

  it('binds an account-bound token to the account named in the path or the body', async () => {
    const bound = {
      authorization: `Bearer ${await tokenFor(settings, 'shop-backend', { account: 'acct-1' })}`,
      'content-type': 'application/json',
    };
    expect((await fetch(`${url}/things`, { method: 'POST', headers: bound, body: JSON.stringify({ accountId: 'acct-1' }) })).status).toBe(
      201,
    );
    const other = await fetch(`${url}/things`, { method: 'POST', headers: bound, body: JSON.stringify({ accountId: 'acct-2' }) });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: 'ACCOUNT_MISMATCH' });
    const reader = { authorization: `Bearer ${await tokenFor(settings, 'reader', { account: 'acct-1' })}` };
    expect((await fetch(`${url}/things/acct-1`, { headers: reader })).status).toBe(200);
    expect((await fetch(`${url}/things/acct-2`, { headers: reader })).status).toBe(403);
  });
});

describe('guardBreaches', () => {
  const through = { ops: 200, reader: 403, 'app-backend': 403, 'shop-backend': 403, 'pass-dispatcher': 403 };
  const probe = (path: string, anonymous: number, byRole: RouteProbe['byRole'] = through): RouteProbe => ({
    method: 'GET',
    path,
    anonymous,
    byRole,
  });

  it.each<[string, RouteProbe, string[]]>([
    ['a guarded route kept', probe('/x', 401), []],
    ['an open route', probe('/health/ready', 200), []],
    ['an open route behind the guard', probe('/health/ready', 401), ['GET /health/ready: an open route answers 401 without a token']],
    ['a route without a guard', probe('/x', 200), ['GET /x: answers 200 without a token, not 401']],
    [
      'a route no role is refused',
      probe('/x', 401, { ops: 200, reader: 200, 'app-backend': 400, 'shop-backend': 404, 'pass-dispatcher': 200 }),
      ['GET /x: refuses no role (403)'],
    ],
  ])('%s', (_name, p, breaches) => {
    expect(guardBreaches([p], [])).toEqual(breaches);
  });
});

describe('HttpAuthModule in production', () => {
  it('refuses to build (so the service does not start) without a signing key or with the development key', () => {
    expect(() => HttpAuthModule.forRoot({ NODE_ENV: 'production', HTTP_RATE_LIMIT_PER_MINUTE: 0 })).toThrow(/NODE_ENV=production/);
    expect(() =>
      HttpAuthModule.forRoot({ NODE_ENV: 'production', AUTH_JWT_SECRET: DEV_AUTH_SECRET, HTTP_RATE_LIMIT_PER_MINUTE: 0 }),
    ).toThrow(/development/);
    expect(() =>
      HttpAuthModule.forRoot({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'k'.repeat(32), HTTP_RATE_LIMIT_PER_MINUTE: 0 }),
    ).not.toThrow();
  });
});
