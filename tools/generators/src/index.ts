// The local Nx plugin `@platform/generators` (tsconfig.base.json paths point here; Nx reads
// ../generators.json through ../package.json): `npx nx g @platform/generators:service <name>`.
export { serviceGenerator, type ServiceGeneratorSchema } from './service/generator';
export { addHandler, handlerGenerator, type HandlerGeneratorSchema } from './handler/generator';
