/**
 * cdk-nag's AwsSolutions pack over the real app, as `cdk synth` runs it: nothing may remain
 * unacknowledged, and every acknowledgement must say why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../../bin/app.ts';
import { noBundling, type Synthesized, synthesize } from './synth.ts';

const validationReport = z.object({
  pluginReports: z.array(
    z.object({
      pluginName: z.string(),
      violations: z.array(
        z.object({
          ruleName: z.string(),
          severity: z.string().optional(),
          violatingConstructs: z.array(z.object({ constructPath: z.string() })).optional(),
        }),
      ),
    }),
  ),
});

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

/** Acknowledgements as `Validations.of(x).acknowledge()` records them in construct metadata. */
function acknowledgementsIn(synthesized: Pick<Synthesized, 'app'>): Acknowledgement[] {
  return synthesized.app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(z.record(z.string(), z.unknown()).parse(entry.data)).map(([qualifiedId, reason]) => ({
          path: construct.node.path,
          // Ids without a plugin namespace are stored as `Annotation::<id>`; cdk-nag strips that.
          id: qualifiedId.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

let synthesized: Synthesized;

beforeAll(() => {
  // With the CloudFormation schema validation too, exactly as `cdk synth` runs; throws on nag errors.
  synthesized = synthesize(undefined, { cloudFormationValidation: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cdk-nag AwsSolutions', () => {
  it('leaves no unacknowledged error or warning in the validation report', () => {
    const report = validationReport.parse(
      JSON.parse(readFileSync(join(synthesized.assemblyDirectory, cxapi.VALIDATION_REPORT_FILE), 'utf8')),
    );
    const remaining = report.pluginReports.flatMap((plugin) =>
      plugin.violations.map(
        (violation) => `${plugin.pluginName}: ${violation.ruleName} (${violation.severity})`,
      ),
    );
    expect(remaining).toEqual([]);
  });

  it('finds nothing unacknowledged when run directly over the construct tree', () => {
    expect(new AwsSolutionsChecks().validateScope(synthesized.app).violations).toEqual([]);
  });

  it('gives every acknowledgement a rule id and a specific reason', () => {
    const acknowledgements = acknowledgementsIn(synthesized);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledgements) {
      expect(id, path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(typeof reason === 'string' ? reason.trim().length : 0, `${path} ${id}`).toBeGreaterThan(30);
    }
  });

  it('acknowledges only findings that exist', () => {
    // Without the acknowledgements, every one of them must match a real finding on its construct
    // or below: a stale acknowledgement would silently excuse a future resource.
    vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    const { app } = buildApp({ context: noBundling });
    const unacknowledged = new AwsSolutionsChecks().validateScope(app).violations;
    const findings = unacknowledged.flatMap((violation) =>
      violation.violatingResources.map((resource) => ({
        id: violation.ruleName,
        path: resource.constructPath ?? '',
      })),
    );
    const stale = acknowledgementsIn(synthesized).filter(
      (ack) =>
        !findings.some((finding) => finding.id === ack.id && `${finding.path}/`.startsWith(`${ack.path}/`)),
    );
    expect(stale).toEqual([]);
  });
});
