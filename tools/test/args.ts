// Argument handling of `npm test`: which jest projects to run, our own flags, the rest for jest.
export const PROJECTS = ['unit', 'integration', 'e2e', 'fault'] as const;
export type Project = (typeof PROJECTS)[number];
const isProject = (s: string): s is Project => (PROJECTS as readonly string[]).includes(s);

export const PROJECT_ARGS: Record<Project, string[]> = {
  unit: [],
  integration: ['--maxWorkers=2'],
  e2e: ['--maxWorkers=2'],
  fault: ['--runInBand'], // drills kill brokers and services: one at a time
};

export interface Parsed {
  projects: Project[];
  stopInfra: boolean;
  jestArgs: string[];
}

export function parseArgs(argv: string[]): Parsed {
  const selected: Project[] = [];
  const jestArgs: string[] = [];
  let stopInfra = false;
  const rest = [...argv];
  for (let a = rest.shift(); a !== undefined; a = rest.shift()) {
    if (a === '--stop-infra') stopInfra = true;
    else if (a.startsWith('--selectProjects=')) selected.push(...a.slice('--selectProjects='.length).split(',').filter(isProject));
    else if (a === '--selectProjects') {
      // Variadic like jest's own flag; a value that is not a project name ends the list (a path).
      while (rest[0] !== undefined && isProject(rest[0])) {
        selected.push(rest[0]);
        rest.shift();
      }
      if (selected.length === 0) throw new Error(`--selectProjects needs one of: ${PROJECTS.join(', ')}`);
    } else jestArgs.push(a);
  }
  const projects = selected.length ? PROJECTS.filter((p) => selected.includes(p)) : [...PROJECTS];
  return { projects, stopInfra, jestArgs };
}
