import { parseArgs } from './args';

describe('npm test argument parsing', () => {
  it('runs every project in order by default and passes other args to jest', () => {
    expect(parseArgs(['-t', 'dup'])).toEqual({
      projects: ['unit', 'integration', 'e2e', 'fault'],
      stopInfra: false,
      jestArgs: ['-t', 'dup'],
    });
  });

  it('takes --selectProjects values until a non-project (a path filter)', () => {
    expect(parseArgs(['--selectProjects', 'integration', 'unit', 'libs/contracts', '--stop-infra'])).toEqual({
      projects: ['unit', 'integration'],
      stopInfra: true,
      jestArgs: ['libs/contracts'],
    });
    expect(parseArgs(['--selectProjects=e2e,fault']).projects).toEqual(['e2e', 'fault']);
  });

  it('rejects --selectProjects without a known project', () => {
    expect(() => parseArgs(['--selectProjects', 'nope'])).toThrow(/selectProjects/);
  });
});
