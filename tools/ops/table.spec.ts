import { cliTable, colourWanted } from './table';

describe('CLI tables', () => {
  const isTTY = process.stdout.isTTY;
  afterEach(() => {
    process.stdout.isTTY = isTTY;
    delete process.env.NO_COLOR;
  });

  it('print no colour codes into a pipe or file', () => {
    process.stdout.isTTY = false;
    const t = cliTable({ head: ['campaign', 'claims'] });
    t.push(['kakao-2023-heart-pack', 3]);
    expect(t.toString()).toContain('kakao-2023-heart-pack');
    expect(t.toString()).not.toContain('\u001b[');
  });

  // Whether codes then appear is cli-table3's colour library's call (it also looks at the
  // environment, e.g. a CI log), so this checks the styles the table is given.
  const styleOf = (t: ReturnType<typeof cliTable>) =>
    (t as unknown as { options: { style: { head: string[]; border: string[] } } }).options.style;

  it('keep the header and border colours on a terminal unless NO_COLOR is set', () => {
    process.stdout.isTTY = true;
    expect(colourWanted()).toBe(true);
    expect(styleOf(cliTable({ head: ['campaign'] }))).toMatchObject({ head: ['red'], border: ['grey'] });
    process.env.NO_COLOR = '1';
    expect(colourWanted()).toBe(false);
    expect(styleOf(cliTable({ head: ['campaign'] }))).toMatchObject({ head: [], border: [] });
    expect(cliTable({ head: ['campaign'] }).toString()).not.toContain('\u001b[');
  });
});
