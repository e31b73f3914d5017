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

  it('colour the header on a terminal unless NO_COLOR is set', () => {
    process.stdout.isTTY = true;
    expect(colourWanted()).toBe(true);
    const t = cliTable({ head: ['campaign'] });
    expect(t.toString()).toContain('\u001b[');
    process.env.NO_COLOR = '1';
    expect(colourWanted()).toBe(false);
    expect(cliTable({ head: ['campaign'] }).toString()).not.toContain('\u001b[');
  });
});
