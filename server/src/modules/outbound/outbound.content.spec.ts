import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { listContent, mediaContent, mediaLinkProblem, type ListSectionInput } from './outbound.content.js';

// The list and media builders: the payload Meta receives, and Meta's limits enforced before a send
// is queued, each refusal naming its field.

const rows = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: `row-${from + i}`, title: `Row ${from + i}` }));
const list = (sections: ListSectionInput[], extra: Partial<{ body: string; button: string }> = {}) => listContent({ body: 'Escolha uma opção', button: 'Ver opções', sections, ...extra });

function refusal(build: () => unknown): { message: string; field: unknown } {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { message: (error as ValidationError).message, field: (error as ValidationError).details.field };
  }
  throw new Error('expected a ValidationError, the content was built');
}

describe('listContent', () => {
  it('builds Meta\'s interactive list payload, trimming labels and dropping empty descriptions', () => {
    expect(list([
      { title: ' Pizzas ', rows: [{ id: ' p1 ', title: 'Margherita', description: 'Tomate e manjericão' }, { id: 'p2', title: 'Calabresa', description: ' ' }] },
      { title: 'Bebidas', rows: [{ id: 'b1', title: 'Suco' }] },
    ])).toEqual({
      type: 'interactive',
      text: 'Escolha uma opção',
      payload: {
        type: 'interactive',
        interactive: {
          type: 'list',
          body: { text: 'Escolha uma opção' },
          action: {
            button: 'Ver opções',
            sections: [
              { title: 'Pizzas', rows: [{ id: 'p1', title: 'Margherita', description: 'Tomate e manjericão' }, { id: 'p2', title: 'Calabresa' }] },
              { title: 'Bebidas', rows: [{ id: 'b1', title: 'Suco' }] },
            ],
          },
        },
      },
    });
  });

  it('lets a single section go without a title', () => {
    expect(list([{ rows: rows(2) }]).payload).toMatchObject({ interactive: { action: { sections: [{ rows: rows(2) }] } } });
  });

  it('takes exactly 10 rows over several sections', () => {
    expect(() => list([{ title: 'A', rows: rows(4) }, { title: 'B', rows: rows(6, 4) }])).not.toThrow();
  });

  it('refuses the 11th row, counting across sections, and names it', () => {
    expect(refusal(() => list([{ title: 'A', rows: rows(4) }, { title: 'B', rows: rows(7, 4) }]))).toEqual({
      message: 'interactive.sections[1].rows[6]: a list has at most 10 rows in all', field: 'interactive.sections[1].rows[6]',
    });
  });

  it.each([
    ['an empty body', () => list([{ rows: rows(1) }], { body: ' ' }), 'interactive.body: must not be empty'],
    ['a body over 1,024 characters', () => list([{ rows: rows(1) }], { body: 'x'.repeat(1025) }), 'interactive.body: must be at most 1024 characters'],
    ['an empty button label', () => list([{ rows: rows(1) }], { button: '' }), 'interactive.button: must be 1 to 20 characters'],
    ['a button label over 20', () => list([{ rows: rows(1) }], { button: 'x'.repeat(21) }), 'interactive.button: must be 1 to 20 characters'],
    ['no sections', () => list([]), 'interactive.sections: must have 1 to 10 sections (got 0)'],
    ['eleven sections', () => list(Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: rows(1, i) }))), 'interactive.sections: must have 1 to 10 sections (got 11)'],
    ['an untitled section among several', () => list([{ title: 'A', rows: rows(1) }, { rows: rows(1, 1) }]), 'interactive.sections[1].title: required when the list has more than one section'],
    ['a section title over 24', () => list([{ title: 'x'.repeat(25), rows: rows(1) }]), 'interactive.sections[0].title: must be at most 24 characters'],
    ['a section without rows', () => list([{ rows: [] }]), 'interactive.sections[0].rows: must have at least 1 row'],
    ['a row id over 200', () => list([{ rows: [{ id: 'x'.repeat(201), title: 'A' }] }]), 'interactive.sections[0].rows[0].id: must be 1 to 200 characters'],
    ['a row id used twice', () => list([{ title: 'A', rows: rows(1) }, { title: 'B', rows: rows(1) }]), 'interactive.sections[1].rows[0].id: "row-0" is used by another row'],
    ['a row title over 24', () => list([{ rows: [{ id: 'a', title: 'x'.repeat(25) }] }]), 'interactive.sections[0].rows[0].title: must be 1 to 24 characters'],
    ['a row description over 72', () => list([{ rows: [{ id: 'a', title: 'A', description: 'x'.repeat(73) }] }]), 'interactive.sections[0].rows[0].description: must be at most 72 characters'],
  ])('refuses %s', (_label, build, message) => {
    expect(refusal(build).message).toBe(message);
  });
});

describe('mediaContent', () => {
  it('builds an image by link with a caption', () => {
    expect(mediaContent({ mediaType: 'image', link: 'https://cdn.example.com/menu.png', caption: 'Cardápio' })).toEqual({
      type: 'image', text: 'Cardápio', payload: { type: 'image', image: { link: 'https://cdn.example.com/menu.png', caption: 'Cardápio' } },
    });
  });

  it('builds a document with a caption and a file name', () => {
    expect(mediaContent({ mediaType: 'document', link: 'https://cdn.example.com/m.pdf', caption: 'Menu', filename: ' cardapio.pdf ' })).toEqual({
      type: 'document', text: 'Menu', payload: { type: 'document', document: { link: 'https://cdn.example.com/m.pdf', caption: 'Menu', filename: 'cardapio.pdf' } },
    });
  });

  it('leaves out an empty caption, and then has no text for people', () => {
    expect(mediaContent({ mediaType: 'image', link: 'https://cdn.example.com/a.png', caption: '  ' })).toEqual({
      type: 'image', text: null, payload: { type: 'image', image: { link: 'https://cdn.example.com/a.png' } },
    });
  });

  it.each([
    ['an http link', { mediaType: 'image', link: 'http://cdn.example.com/a.png' }, 'media.link: must be an https:// URL'],
    ['a link that is not a URL', { mediaType: 'image', link: 'menu.png' }, 'media.link: must be an https:// URL'],
    ['a link over 2,048 characters', { mediaType: 'image', link: `https://cdn.example.com/${'a'.repeat(2048)}` }, 'media.link: must be at most 2048 characters'],
    ['a caption over 1,024', { mediaType: 'image', link: 'https://x.example/a.png', caption: 'x'.repeat(1025) }, 'media.caption: must be at most 1024 characters'],
    ['a file name on an image', { mediaType: 'image', link: 'https://x.example/a.png', filename: 'a.png' }, 'media.filename: only a document has a file name'],
    ['a file name over 240', { mediaType: 'document', link: 'https://x.example/a.pdf', filename: `${'x'.repeat(237)}.pdf` }, 'media.filename: must be at most 240 characters'],
    ['a video', { mediaType: 'video', link: 'https://x.example/a.mp4' }, 'media.type: must be image or document'],
  ])('refuses %s', (_label, input, message) => {
    expect(refusal(() => mediaContent(input as Parameters<typeof mediaContent>[0])).message).toBe(message);
  });
});

describe('mediaLinkProblem', () => {
  it('accepts https links with a host, query strings included', () => {
    expect(mediaLinkProblem('https://cdn.example.com/a.png?v=2')).toBeNull();
  });

  it.each(['ftp://x.example/a.png', 'https://', 'javascript:alert(1)', ''])('refuses %j', (link) => {
    expect(mediaLinkProblem(link)).toBe('must be an https:// URL');
  });
});
