import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lib/errors.js';
import { hoursToday, isOpen, localClock, parseBusinessHours, type BusinessHours } from './instances.business-hours.js';

// Opening hours as a shop posts them, read in the instance's timezone. Instants are written with
// their UTC offset so each test says which local time it means.

const SP = 'America/Sao_Paulo'; // UTC-3 all year (no DST since 2019)
const NY = 'America/New_York'; // DST: 2026-03-08 02:00 → 03:00, 2026-11-01 02:00 → 01:00
const at = (iso: string) => new Date(iso);

// A Brazilian shop: weekdays 09:00–18:00 with lunch on Wednesday, Saturday morning, Sunday closed.
// December 2026: Fri 4, Sat 5, Sun 6; Thu 24, Fri 25 (holiday), Sat 26.
const shop: BusinessHours = {
  days: [
    { day: 1, open: '09:00', close: '18:00' },
    { day: 2, open: '09:00', close: '18:00' },
    { day: 3, open: '09:00', close: '12:00' },
    { day: 3, open: '14:00', close: '18:00' },
    { day: 4, open: '09:00', close: '18:00' },
    { day: 5, open: '09:00', close: '18:00' },
    { day: 6, open: '09:00', close: '13:00' },
  ],
  holidays: ['2026-12-25'],
};

// A bar: Friday 22:00 to Saturday 02:00.
const bar: BusinessHours = { days: [{ day: 5, open: '22:00', close: '02:00' }] };

describe('isOpen', () => {
  it('null hours: always open', () => {
    expect(isOpen(null, SP, at('2026-12-06T03:00:00-03:00'))).toBe(true);
  });

  describe('America/Sao_Paulo', () => {
    it.each([
      ['Fri 08:59', '2026-12-04T08:59:00-03:00', false],
      ['Fri 09:00 (open is inclusive)', '2026-12-04T09:00:00-03:00', true],
      ['Fri 17:59', '2026-12-04T17:59:00-03:00', true],
      ['Fri 18:00 (close is exclusive)', '2026-12-04T18:00:00-03:00', false],
      ['Sat 12:59', '2026-12-05T12:59:00-03:00', true],
      ['Sat 13:00', '2026-12-05T13:00:00-03:00', false],
    ])('%s', (_label, iso, open) => {
      expect(isOpen(shop, SP, at(iso))).toBe(open);
    });

    it('reads the local time, not UTC: Friday 20:00 in São Paulo is Saturday 00:00 UTC', () => {
      expect(isOpen(shop, SP, at('2026-12-05T00:00:00Z'))).toBe(false); // Fri 21:00 local, closed
      expect(isOpen(shop, 'UTC', at('2026-12-05T10:00:00Z'))).toBe(true); // Sat 10:00 UTC
      expect(isOpen(shop, SP, at('2026-12-05T12:30:00Z'))).toBe(true); // Sat 09:30 local
    });

    it('a day with several intervals is closed between them', () => {
      expect(isOpen(shop, SP, at('2026-12-02T11:59:00-03:00'))).toBe(true);
      expect(isOpen(shop, SP, at('2026-12-02T13:00:00-03:00'))).toBe(false);
      expect(isOpen(shop, SP, at('2026-12-02T14:00:00-03:00'))).toBe(true);
    });

    it('a day with no interval is closed all day', () => {
      expect(isOpen(shop, SP, at('2026-12-06T12:00:00-03:00'))).toBe(false);
    });

    it('a holiday is closed all day, though its weekday has hours', () => {
      expect(isOpen(shop, SP, at('2026-12-25T10:00:00-03:00'))).toBe(false);
      expect(isOpen(shop, SP, at('2026-12-24T10:00:00-03:00'))).toBe(true);
    });

    it('a holiday is a local date: 2026-12-25 01:00 UTC is still the 24th in São Paulo', () => {
      const nightOwl: BusinessHours = { days: [{ day: 4, open: '20:00', close: '23:00' }], holidays: ['2026-12-25'] };
      expect(isOpen(nightOwl, SP, at('2026-12-25T01:00:00Z'))).toBe(true); // Thu 24th, 22:00 local
    });
  });

  describe('an interval crossing midnight (Friday 22:00–02:00)', () => {
    it.each([
      ['Fri 21:59', '2026-12-04T21:59:00-03:00', false],
      ['Fri 22:00', '2026-12-04T22:00:00-03:00', true],
      ['Fri 23:59', '2026-12-04T23:59:00-03:00', true],
      ['Sat 00:00', '2026-12-05T00:00:00-03:00', true],
      ['Sat 01:00', '2026-12-05T01:00:00-03:00', true],
      ['Sat 02:00', '2026-12-05T02:00:00-03:00', false],
      ['Sat 22:30 (Saturday has no interval of its own)', '2026-12-05T22:30:00-03:00', false],
      ['Thu 01:00 (only the day after Friday)', '2026-12-03T01:00:00-03:00', false],
    ])('%s', (_label, iso, open) => {
      expect(isOpen(bar, SP, at(iso))).toBe(open);
    });

    it('the early hours belong to the day they fall on: a holiday Saturday closes them', () => {
      expect(isOpen({ ...bar, holidays: ['2026-12-05'] }, SP, at('2026-12-05T01:00:00-03:00'))).toBe(false);
    });

    it('a holiday Friday cancels Friday night, early hours included', () => {
      const hours = { ...bar, holidays: ['2026-12-25'] };
      expect(isOpen(hours, SP, at('2026-12-25T23:00:00-03:00'))).toBe(false);
      expect(isOpen(hours, SP, at('2026-12-26T01:00:00-03:00'))).toBe(false);
    });

    it('close equal to open is a full 24 hours from open', () => {
      const hours: BusinessHours = { days: [{ day: 5, open: '09:00', close: '09:00' }] };
      expect(isOpen(hours, SP, at('2026-12-05T08:59:00-03:00'))).toBe(true);
      expect(isOpen(hours, SP, at('2026-12-05T09:00:00-03:00'))).toBe(false);
    });

    it('crosses from Saturday into Sunday (day 6 wraps to day 0)', () => {
      const hours: BusinessHours = { days: [{ day: 6, open: '20:00', close: '03:00' }] };
      expect(isOpen(hours, SP, at('2026-12-06T02:30:00-03:00'))).toBe(true);
    });
  });

  // Hours are wall-clock times (see automation.business-hours.ts).
  describe('America/New_York across the DST switches', () => {
    it('spring forward, 2026-03-08: 01:00–03:00 is open until the jump, closed from 03:00 EDT', () => {
      const hours: BusinessHours = { days: [{ day: 0, open: '01:00', close: '03:00' }] };
      expect(localClock(NY, at('2026-03-08T06:30:00Z'))).toMatchObject({ date: '2026-03-08', minutes: 90 }); // 01:30 EST
      expect(isOpen(hours, NY, at('2026-03-08T06:30:00Z'))).toBe(true); // 01:30 EST
      expect(isOpen(hours, NY, at('2026-03-08T06:59:00Z'))).toBe(true); // 01:59 EST
      expect(localClock(NY, at('2026-03-08T07:00:00Z')).minutes).toBe(180); // the next minute reads 03:00 EDT
      expect(isOpen(hours, NY, at('2026-03-08T07:00:00Z'))).toBe(false);
      expect(isOpen(hours, NY, at('2026-03-08T05:59:00Z'))).toBe(false); // 00:59 EST
    });

    it('fall back, 2026-11-01: "01:30" happens twice and 00:30–02:30 is open at both', () => {
      const hours: BusinessHours = { days: [{ day: 0, open: '00:30', close: '02:30' }] };
      const firstOneThirty = at('2026-11-01T05:30:00Z'); // 01:30 EDT
      const secondOneThirty = at('2026-11-01T06:30:00Z'); // 01:30 EST, an hour later
      expect(localClock(NY, firstOneThirty).minutes).toBe(90);
      expect(localClock(NY, secondOneThirty).minutes).toBe(90);
      expect(isOpen(hours, NY, firstOneThirty)).toBe(true);
      expect(isOpen(hours, NY, secondOneThirty)).toBe(true);
      expect(isOpen(hours, NY, at('2026-11-01T07:15:00Z'))).toBe(true); // 02:15 EST
      expect(isOpen(hours, NY, at('2026-11-01T07:30:00Z'))).toBe(false); // 02:30 EST
      expect(isOpen(hours, NY, at('2026-11-01T04:29:00Z'))).toBe(false); // 00:29 EDT
    });

    it('fall back: an interval ending inside the repeated hour opens again when the clock goes back', () => {
      const hours: BusinessHours = { days: [{ day: 0, open: '00:00', close: '01:30' }] };
      expect(isOpen(hours, NY, at('2026-11-01T05:45:00Z'))).toBe(false); // 01:45 EDT
      expect(isOpen(hours, NY, at('2026-11-01T06:15:00Z'))).toBe(true); // 01:15 EST, later in real time
    });

    it('an ordinary day either side of a switch keeps its local hours (09:00 EST is 14:00Z, 09:00 EDT 13:00Z)', () => {
      const hours: BusinessHours = { days: [{ day: 6, open: '09:00', close: '17:00' }, { day: 1, open: '09:00', close: '17:00' }] };
      expect(isOpen(hours, NY, at('2026-03-07T13:30:00Z'))).toBe(false); // Sat 08:30 EST
      expect(isOpen(hours, NY, at('2026-03-07T14:00:00Z'))).toBe(true); // Sat 09:00 EST
      expect(isOpen(hours, NY, at('2026-03-09T13:00:00Z'))).toBe(true); // Mon 09:00 EDT
    });
  });

  it('throws on a timezone Intl does not know (instances validate it on write)', () => {
    expect(() => isOpen(shop, 'Mars/Olympus_Mons', at('2026-12-04T12:00:00Z'))).toThrow(RangeError);
  });
});

describe('hoursToday', () => {
  it('lists the day\'s intervals in order', () => {
    expect(hoursToday(shop, SP, at('2026-12-04T20:00:00-03:00'))).toBe('09:00–18:00');
    expect(hoursToday(shop, SP, at('2026-12-02T08:00:00-03:00'))).toBe('09:00–12:00, 14:00–18:00');
  });

  it('says closed on a day without hours and on a holiday, in the locale\'s words', () => {
    expect(hoursToday(shop, SP, at('2026-12-06T10:00:00-03:00'))).toBe('closed today');
    expect(hoursToday(shop, SP, at('2026-12-25T10:00:00-03:00'), 'pt-BR')).toBe('fechado hoje');
    expect(hoursToday(shop, SP, at('2026-12-25T10:00:00-03:00'), 'es')).toBe('cerrado hoy');
    expect(hoursToday(shop, SP, at('2026-12-25T10:00:00-03:00'), 'de')).toBe('closed today');
  });

  it('says always open when there are no hours', () => {
    expect(hoursToday(null, SP, at('2026-12-06T10:00:00-03:00'))).toBe('open 24 hours');
    expect(hoursToday(null, SP, at('2026-12-06T10:00:00-03:00'), 'pt')).toBe('aberto 24 horas');
  });

  it('shows an interval crossing midnight as written, and its early hours on the next day', () => {
    expect(hoursToday(bar, SP, at('2026-12-04T10:00:00-03:00'))).toBe('22:00–02:00');
    expect(hoursToday(bar, SP, at('2026-12-05T01:00:00-03:00'))).toBe('00:00–02:00');
    expect(hoursToday({ ...bar, holidays: ['2026-12-04'] }, SP, at('2026-12-05T01:00:00-03:00'))).toBe('closed today');
  });

  it('uses the local date: Saturday 01:00 UTC is still Friday in São Paulo', () => {
    expect(hoursToday(shop, SP, at('2026-12-05T01:00:00Z'))).toBe('09:00–18:00');
  });
});

describe('parseBusinessHours', () => {
  const refusal = (value: unknown): string => {
    try {
      parseBusinessHours(value, 'businessHours');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).message;
    }
    throw new Error('accepted');
  };

  it('accepts the shop and the bar as written, holidays sorted and unique', () => {
    expect(parseBusinessHours(bar, 'h')).toEqual(bar);
    expect(parseBusinessHours({ ...shop, holidays: ['2026-12-25', '2026-01-01', '2026-12-25'] }, 'h')).toEqual({ ...shop, holidays: ['2026-01-01', '2026-12-25'] });
  });

  it('reads null as always open', () => {
    expect(parseBusinessHours(null, 'h')).toBeNull();
  });

  it.each([
    [[], 'businessHours: must be an object { days, holidays? }'],
    [{}, 'businessHours.days: must be an array'],
    [{ days: [{ day: 7, open: '09:00', close: '18:00' }] }, 'businessHours.days[0].day: must be 0 (Sunday) to 6 (Saturday)'],
    [{ days: [{ day: 1.5, open: '09:00', close: '18:00' }] }, 'businessHours.days[0].day: must be 0 (Sunday) to 6 (Saturday)'],
    [{ days: [{ day: 1, open: '9:00', close: '18:00' }] }, 'businessHours.days[0].open: must be "HH:MM" (00:00 to 23:59)'],
    [{ days: [{ day: 1, open: '09:00', close: '24:00' }] }, 'businessHours.days[0].close: must be "HH:MM" (00:00 to 23:59); a close at or before open crosses midnight'],
    [{ days: [{ day: 1, open: '09:00', close: '18:00' }, 'monday'] }, 'businessHours.days[1]: must be an object { day, open, close }'],
    [{ days: [], holidays: ['2026-02-30'] }, 'businessHours.holidays[0]: must be a date "YYYY-MM-DD"'],
    [{ days: [], holidays: ['25/12/2026'] }, 'businessHours.holidays[0]: must be a date "YYYY-MM-DD"'],
    [{ days: [], holidays: '2026-12-25' }, 'businessHours.holidays: must be an array of "YYYY-MM-DD" dates'],
  ])('refuses %j', (value, message) => {
    expect(refusal(value)).toBe(message);
  });

  it('accepts a close before open (it crosses midnight), which the old check refused', () => {
    expect(parseBusinessHours({ days: [{ day: 5, open: '18:00', close: '09:00' }] }, 'h')).toEqual({ days: [{ day: 5, open: '18:00', close: '09:00' }] });
  });
});
