"""数据归集 imports: departments' records in bulk — files in the national 双公示 layouts, NDJSON
batches from department systems — exactly once, dry run first, answered by pollable jobs; the
双公示 timeliness report and the 重错码治理 review list. docs/imports.md."""
