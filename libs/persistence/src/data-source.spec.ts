import { serviceDataSourceOptions } from './data-source';

describe('serviceDataSourceOptions', () => {
  it('never logs queries: TypeORM prints failed-query parameters, which carry raw phone numbers and message bytes', () => {
    const o = serviceDataSourceOptions({ url: 'postgres://x@127.0.0.1/db', migrations: [] });
    expect(o.logging).toBe(false);
    expect(o.synchronize).toBe(false);
  });
});
