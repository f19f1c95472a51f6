/** The workflows this service registers (Temporal bundles this file for its sandbox). */
export { ocrTaskWorkflow } from './ocr-task.js';
export { webhookDeliveryWorkflow } from './webhook-delivery.js';
export { retentionWorkflow } from './retention.js';
