/**
 * A store's shipping webhook secrets (contract section 7: "Two secrets can be valid at once while
 * a store rotates its secret"). The current secret never expires; rotating makes a new one current
 * at once and leaves the one it replaces valid for a grace period, so carriers can switch without
 * a gap. Never more than two: a rotation drops any older secret still in its grace period.
 *
 * No zod and no SDK here: the webhook receiver's bundle imports it.
 */

export interface ShippingWebhookSecret {
  readonly secret: string;
  readonly createdAt: string;
  /** Absent for the current secret; set on the one a rotation replaced. */
  readonly expiresAt?: string;
}

/** How long a replaced secret stays valid. */
export const previousSecretGraceHours = 24;

export function firstShippingWebhookSecret(secret: string, now: Date): ShippingWebhookSecret[] {
  return [{ secret, createdAt: now.toISOString() }];
}

/** The secrets a signature may be made with at `now` (expiry decided by comparing times). */
export function validShippingWebhookSecrets(secrets: readonly ShippingWebhookSecret[], now: Date): string[] {
  return secrets
    .filter((entry) => entry.expiresAt === undefined || new Date(entry.expiresAt).getTime() > now.getTime())
    .map((entry) => entry.secret);
}

/**
 * The secrets after rotating to `secret` at `now`: it becomes current, the current one expires
 * after the grace period, and any other is dropped.
 */
export function rotateShippingWebhookSecrets(
  secrets: readonly ShippingWebhookSecret[],
  secret: string,
  now: Date,
): { readonly secrets: ShippingWebhookSecret[]; readonly previousSecretExpiresAt: string } {
  const previousSecretExpiresAt = new Date(
    now.getTime() + previousSecretGraceHours * 3_600_000,
  ).toISOString();
  const current = secrets.find((entry) => entry.expiresAt === undefined);
  return {
    secrets: [
      { secret, createdAt: now.toISOString() },
      ...(current === undefined ? [] : [{ ...current, expiresAt: previousSecretExpiresAt }]),
    ],
    previousSecretExpiresAt,
  };
}
