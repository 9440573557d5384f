import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, refusedAddress } from './tenant-webhooks.ssrf.js';

// Which addresses a tenant's webhook may not reach, and which URLs are refused on their form.

const production = { httpsOnly: true, allowPrivate: false };
const development = { httpsOnly: false, allowPrivate: true };

describe('refusedAddress', () => {
  it('refuses loopback, private, link-local, metadata and unspecified addresses', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect(refusedAddress(address), address).not.toBeNull();
    }
  });

  it('allows public addresses', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111']) expect(refusedAddress(address), address).toBeNull();
  });
});

describe('checkWebhookUrl', () => {
  it('in production wants https and refuses a private address written in the URL', () => {
    expect(() => checkWebhookUrl('http://example.com/hook', production)).toThrow(/https/);
    expect(() => checkWebhookUrl('https://10.0.0.5/hook', production)).toThrow(/private/);
    expect(() => checkWebhookUrl('https://[::1]/hook', production)).toThrow(/loopback/);
    expect(checkWebhookUrl('https://example.com/hook', production).toString()).toBe('https://example.com/hook');
  });

  it('refuses other schemes, credentials and what is not a URL everywhere', () => {
    expect(() => checkWebhookUrl('ftp://example.com', development)).toThrow(/scheme/);
    expect(() => checkWebhookUrl('https://user:pass@example.com', development)).toThrow(/credentials/);
    expect(() => checkWebhookUrl('example.com/hook', development)).toThrow(/absolute/);
  });

  it('in development allows http to localhost', () => {
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', development).host).toBe('127.0.0.1:8080');
  });
});
