/**
 * Search attributes that make tasks filterable in the Temporal Web UI (`OcrStatus="partial"`…).
 * The names are shared with docker-compose.yml, which registers them: keep them exactly.
 * Deterministic code only: the workflow imports this file.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { TaskStatus } from '../contract/index.js';

export const OCR_STATUS = defineSearchAttributeKey('OcrStatus', SearchAttributeType.KEYWORD);
export const OCR_TASK_TYPE = defineSearchAttributeKey('OcrTaskType', SearchAttributeType.KEYWORD);
export const OCR_FILE_NAME = defineSearchAttributeKey('OcrFileName', SearchAttributeType.TEXT);
export const OCR_PAGE_COUNT = defineSearchAttributeKey('OcrPageCount', SearchAttributeType.INT);
/** The model the task's pages are read with: its `model` option, or MODEL. */
export const OCR_MODEL = defineSearchAttributeKey('OcrModel', SearchAttributeType.KEYWORD);

export const OCR_SEARCH_ATTRIBUTES = [OCR_STATUS, OCR_TASK_TYPE, OCR_FILE_NAME, OCR_PAGE_COUNT, OCR_MODEL] as const;

export interface TaskSearchFields { taskType: string; fileName: string; totalPages: number; model: string }

/** What a new run starts with: `pending` until its first activity marks the task processing. */
export function initialSearchAttributes(task: TaskSearchFields): SearchAttributePair[] {
  return [
    { key: OCR_STATUS, value: 'pending' satisfies TaskStatus },
    { key: OCR_TASK_TYPE, value: task.taskType },
    { key: OCR_FILE_NAME, value: task.fileName },
    { key: OCR_PAGE_COUNT, value: task.totalPages },
    { key: OCR_MODEL, value: task.model },
  ];
}
