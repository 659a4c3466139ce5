"""Accountability 问责与权益保障: 查询使用登记 audit log, 异议 objections, 信用修复 repairs,
信用承诺 commitments, 失信曝光台 disclosure board and 信用商圈/信用街区 districts.

Other packages only need ``xinyi_api.audit``: every write and every read of
non-public credit data calls ``await audit.append(conn, principal, action=…, subject_id=…,
endpoint=…)`` inside the transaction of the change it records.
"""
