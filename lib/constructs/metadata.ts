/**
 * CloudFormation metadata keys the stack writes on resources so that tests can map a synthesized
 * template back to topology names without depending on generated logical ids.
 */
export const topologyMetadata = {
  /** On each AWS::Lambda::Function: the topology function name. */
  function: 'SalesOps::Function',
  /** On each main AWS::SQS::Queue (not its DLQ): the topology queue name. */
  queue: 'SalesOps::Queue',
  /** On each AWS::Events::Rule: the topology schedule name. */
  schedule: 'SalesOps::Schedule',
} as const;
