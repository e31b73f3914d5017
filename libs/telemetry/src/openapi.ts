import { INestApplication } from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { OperationObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { NextFunction, Request, Response } from 'express';
import { AUTH_SECRET, Role, ROLES_KEY, verifyToken } from '@platform/auth';

/** Who may read the API documents: the same roles that read /metrics. */
const DOC_ROLES: readonly Role[] = ['reader', 'ops'];

/**
 * The service's OpenAPI document from its controllers: routes, methods, path parameters and the
 * bearer scheme every route but /health/* needs. Deterministic (no dates), so the committed
 * docs/openapi/<service>.json can be compared with it.
 */
export function openApiDocument(app: INestApplication, service: string, version = '0.1.0'): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(`${service} HTTP API`)
    .setDescription(
      `The ${service} service of the heart-pack compensation platform. Every route but /health/* needs a bearer token ` +
        '(roles ops, reader, or a service identity such as app-backend); a missing token is 401, a wrong role 403.',
    )
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addSecurityRequirements('bearer')
    .build();
  const doc = SwaggerModule.createDocument(app, config, { operationIdFactory: (controller, method) => `${controller}.${method}` });
  const roles = routeRoles(app);
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const op of Object.values(item) as OperationObject[]) {
      if (!op || typeof op !== 'object' || !('responses' in op)) continue;
      if (p.startsWith('/health/')) {
        op.security = [];
        continue;
      }
      const allowed = roles.get(op.operationId ?? '') ?? [];
      (op as OperationObject & { 'x-roles'?: Role[] })['x-roles'] = allowed;
      op.description = allowed.length > 0 ? `Roles: ${allowed.join(', ')}.` : 'Refused to every caller (no roles declared).';
      op.responses['401'] ??= { description: 'no or invalid bearer token' };
      op.responses['403'] ??= { description: `a token without one of the roles: ${allowed.join(', ') || 'none'}` };
    }
  }
  return doc;
}

/** `Controller.method` -> the roles its @Roles() names (libs/auth), read from the app's controllers. */
function routeRoles(app: INestApplication): Map<string, Role[]> {
  const out = new Map<string, Role[]>();
  for (const m of app.get(ModulesContainer, { strict: false }).values()) {
    for (const w of m.controllers.values()) {
      const type = w.metatype as (new (...args: unknown[]) => unknown) | null;
      if (!type) continue;
      const classRoles = (Reflect.getMetadata(ROLES_KEY, type) as Role[] | undefined) ?? [];
      for (const key of Object.getOwnPropertyNames(type.prototype)) {
        if (key === 'constructor') continue;
        const fn = (type.prototype as Record<string, unknown>)[key];
        if (typeof fn !== 'function') continue;
        const own = Reflect.getMetadata(ROLES_KEY, fn) as Role[] | undefined;
        out.set(`${type.name}.${key}`, own ?? classRoles);
      }
    }
  }
  return out;
}

/**
 * Serves the document at /docs (Swagger UI) and /docs-json, behind the same rule as every other
 * route: a reader or ops bearer token (the UI page included; read a committed docs/openapi/*.json
 * without one). Apps without the HTTP auth module get no /docs at all.
 */
export function serveOpenApi(app: INestApplication, service: string): void {
  let secret: Uint8Array;
  try {
    // through ModuleRef: a miss on app.get() itself ends the process (Nest's abortOnError zone)
    secret = app.get(ModuleRef).get<Uint8Array>(AUTH_SECRET, { strict: false });
  } catch {
    return;
  }
  app.use(['/docs', '/docs-json', '/docs-yaml'], (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return void res.status(401).json({ statusCode: 401, message: 'bearer token required' });
    verifyToken(secret, token).then(
      (p) =>
        p.roles.some((r) => DOC_ROLES.includes(r))
          ? next()
          : res.status(403).json({ statusCode: 403, message: 'role reader or ops required' }),
      () => res.status(401).json({ statusCode: 401, message: 'invalid token' }),
    );
  });
  let doc: OpenAPIObject | null = null;
  SwaggerModule.setup('docs', app, () => (doc ??= openApiDocument(app, service)), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    ui: true,
  });
}
