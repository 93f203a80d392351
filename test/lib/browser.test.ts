import { describe, expect, it } from 'vitest';
import { chromiumArgs, sandboxUnavailableReason } from '../../src/lib/browser.js';

describe("Chromium's sandbox", () => {
  it('is turned off only where it cannot work', () => {
    expect(sandboxUnavailableReason({ uid: 0, userNamespaces: true })).toBe('running as root');
    expect(sandboxUnavailableReason({ uid: 1000, userNamespaces: false })).toBe('no unprivileged user namespaces');
    expect(sandboxUnavailableReason({ uid: 1000, userNamespaces: true })).toBeNull();
    // Not knowable (no probe tool, no kernel switch): Chromium's own default, the sandbox.
    expect(sandboxUnavailableReason({ uid: 1000, userNamespaces: null })).toBeNull();
  });

  it('gets --no-sandbox here exactly when this process runs as root', () => {
    // CI and this machine run as root; a non-root run depends on the kernel, so only root is certain.
    if (process.getuid?.() === 0) expect(chromiumArgs()).toContain('--no-sandbox');
    expect(chromiumArgs()).toContain('--disable-dev-shm-usage');
  });
});
