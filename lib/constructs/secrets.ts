import { SecretValue, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * Written into the Stripe secrets at creation. The operator replaces it after the first deploy:
 *
 *   aws secretsmanager put-secret-value --secret-id <StripeSecretKeyArn output> --secret-string 'sk_live_…'
 *   aws secretsmanager put-secret-value --secret-id <StripeWebhookSecretArn output> --secret-string 'whsec_…'
 *
 * CloudFormation writes SecretString again only when this text changes in the template, so later
 * deploys keep the operator's value. Changing this text would overwrite the real keys.
 */
export const operatorPlaceholder =
  'REPLACE_ME: set with `aws secretsmanager put-secret-value` (see lib/constructs/secrets.ts)';

const stripeRotation =
  'Stripe keys are issued and rotated in the Stripe dashboard (roll key / webhook endpoint secret); the operator then puts the new value here. Secrets Manager cannot rotate them.';

/** The deployment's secrets. Functions receive their ARNs and read the values at cold start. */
export class Secrets extends Construct {
  /** Bearer token for `/admin/v1/*`. */
  readonly adminToken: Secret;
  /** Stripe secret API key (`sk_live_…`). */
  readonly stripeSecretKey: Secret;
  /** Signing secret of the Stripe webhook endpoint (`whsec_…`). */
  readonly stripeWebhookSecret: Secret;
  /** HMAC key of customer emails in the dispute history and the fraud signals. */
  readonly emailHashKey: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.adminToken = new Secret(this, 'AdminToken', {
      description: 'Sales Ops: bearer token for /admin/v1/* (generated at first deploy)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(this.adminToken).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The admin token is handed to the operators who create stores; it is rotated by hand (put-secret-value) when an operator leaves, which a rotation Lambda could not coordinate.',
    });

    this.stripeSecretKey = new Secret(this, 'StripeSecretKey', {
      description: 'Sales Ops: Stripe secret API key (sk_live_…); the operator replaces the placeholder',
      secretStringValue: SecretValue.unsafePlainText(operatorPlaceholder),
    });
    Validations.of(this.stripeSecretKey).acknowledge({ id: 'AwsSolutions-SMG4', reason: stripeRotation });

    this.stripeWebhookSecret = new Secret(this, 'StripeWebhookSecret', {
      description:
        'Sales Ops: Stripe webhook signing secret (whsec_…); the operator replaces the placeholder',
      secretStringValue: SecretValue.unsafePlainText(operatorPlaceholder),
    });
    Validations.of(this.stripeWebhookSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: stripeRotation });

    this.emailHashKey = new Secret(this, 'EmailHashKey', {
      description:
        'Sales Ops: HMAC key of customer emails in the dispute history and fraud signals (generated at first deploy)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.emailHashKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The email hash key names the stored dispute history and fraud signals: a new key would orphan them (prior disputes and velocity counts would be forgotten), so it is rotated by hand, with a migration, never by a rotation Lambda.',
    });
  }
}
