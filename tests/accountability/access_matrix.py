"""The access matrix: who may call every endpoint, and what each role gets.

``test_access_matrix.py`` enumerates the app's routes and fails for a route missing here, so a
new endpoint must be added to ``MATRIX`` with the statuses every role of ``world.ROLES`` gets:

* ``anonymous`` — no token;  ``consumer``;
* ``merchant`` — has claimed the world's enterprise ``E`` (store ``S``);
* ``merchant_other`` — another tenant (claimed ``E2`` only);
* ``department`` — ``scjg``, city-wide, the source of the world's records;
* ``department_other`` — ``ybj``, another scenario, limited to another district (340402);
* ``operator``.

Paths use the world's ids as ``{E}``, ``{S}``, ``{R_free}``, ``{O}``, ``{P}``, ``{C}``, ``{D}``…
and ``{TOKEN}`` (the current code token of ``S``). Roles run in the order of ``ROLES`` except that
those expecting a 2xx run last, so a successful write cannot change what the others see; every
route starts from a fresh world.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.accountability.world import ROLES, SHA, days_ago, penalty
from tests.conftest import uscc

Status = int | frozenset[int]


@dataclass(frozen=True)
class Case:
    path: str
    expect: dict[str, Status]
    body: Any = None
    query: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = set(ROLES) - set(self.expect)
        assert not missing, f"{self.path}: no expectation for {sorted(missing)}"


def anyone(path: str, ok: Status = 200, **kw: Any) -> Case:
    """A public endpoint: every role, with or without a token, gets ``ok``."""
    return Case(path, dict.fromkeys(ROLES, ok), **kw)


def only(path: str, allowed: dict[str, Status], **kw: Any) -> Case:
    """A guarded endpoint: anonymous 401, every role not in ``allowed`` 403."""
    expect: dict[str, Status] = {r: 403 for r in ROLES}
    expect["anonymous"] = 401
    expect.update(allowed)
    return Case(path, expect, **kw)


ATTACHMENT = {"name": "证明.pdf", "size": 100, "sha256": SHA}

MATRIX: dict[tuple[str, str], Case] = {
    # ---- operations
    ("GET", "/health"): anyone("/health"),
    ("GET", "/ready"): anyone("/ready"),
    ("GET", "/.well-known/jwks.json"): anyone("/.well-known/jwks.json"),
    # ---- subjects
    ("POST", "/api/v1/enterprises"): only(
        "/api/v1/enterprises", {"department": 201, "department_other": 403},
        body={"uscc": uscc(999), "name": "新店", "region_code": "340403",
              "industry": "catering"}),
    ("GET", "/api/v1/enterprises/{enterprise_id:str}"): anyone("/api/v1/enterprises/{E}"),
    ("PATCH", "/api/v1/enterprises/{enterprise_id:str}"): only(
        "/api/v1/enterprises/{E}", {"department": 200}, body={"address": "新地址"}),
    ("POST", "/api/v1/enterprises/{enterprise_id:str}/stores"): only(
        "/api/v1/enterprises/{E}/stores", {"department": 201},
        body={"name": "新门店", "region_code": "340403", "industry": "beef_soup"}),
    ("GET", "/api/v1/stores"): anyone("/api/v1/stores"),
    ("GET", "/api/v1/stores/{store_id:str}"): anyone("/api/v1/stores/{S}"),
    ("PATCH", "/api/v1/stores/{store_id:str}"): only(
        "/api/v1/stores/{S}", {"department": 200}, body={"address": "新地址"}),
    # ---- records and grades
    ("GET", "/api/v1/subjects/{subject_id:str}/records"): anyone("/api/v1/subjects/{S}/records"),
    ("POST", "/api/v1/subjects/{subject_id:str}/records"): only(
        "/api/v1/subjects/{S}/records", {"department": 201}, body=penalty("minor", 1)),
    ("PATCH", "/api/v1/records/{record_id:str}"): only(
        "/api/v1/records/{R_free}", {"department": 200},
        body={"title": "更正后的标题", "reason": "录入错误,按处罚决定书更正"}),
    ("GET", "/api/v1/records/{record_id:str}/history"): only(
        "/api/v1/records/{R_free}/history", {"department": 200, "merchant": 200,
                                             "operator": 200}),
    ("GET", "/api/v1/subjects/{subject_id:str}/grade"): anyone("/api/v1/subjects/{S}/grade"),
    ("GET", "/api/v1/subjects/{subject_id:str}/grade/history"): anyone(
        "/api/v1/subjects/{S}/grade/history"),
    # ---- codes 诚信码
    ("GET", "/api/v1/subjects/{subject_id:str}/code"): anyone("/api/v1/subjects/{S}/code"),
    ("GET", "/api/v1/scan/{token:str}"): anyone("/api/v1/scan/{TOKEN}"),
    ("GET", "/c/{token:str}"): anyone("/c/{TOKEN}"),
    ("GET", "/C/{token:str}"): anyone("/C/{TOKEN}"),
    ("GET", "/api/v1/codes/{file:str}"): anyone("/api/v1/codes/{TOKEN}.png"),
    ("GET", "/api/v1/codes/{token:str}/poster.png"): anyone("/api/v1/codes/{TOKEN}/poster.png"),
    ("GET", "/api/v1/codes/{token:str}/poster.pdf"): anyone("/api/v1/codes/{TOKEN}/poster.pdf"),
    ("GET", "/api/v1/codes/{token:str}/poster"): anyone("/api/v1/codes/{TOKEN}/poster",
                                                        query={"format": "pdf"}),
    # The codes module answers another tenant's merchant 404 (it does not reveal the subject).
    # ---- print jobs 批量印制 ({JOB}: a finished job of the department's)
    ("POST", "/api/v1/print-jobs"): only(
        "/api/v1/print-jobs", {"department": 202, "department_other": 403},
        body={"region": "340403", "kind": "store"}),
    ("GET", "/api/v1/print-jobs"): only(
        "/api/v1/print-jobs", {"department": 200, "department_other": 200, "operator": 200}),
    ("GET", "/api/v1/print-jobs/{job_id:str}"): only(
        "/api/v1/print-jobs/{JOB}", {"department": 200, "department_other": 404,
                                     "operator": 200}),
    ("GET", "/api/v1/print-jobs/{job_id:str}/output"): only(
        "/api/v1/print-jobs/{JOB}/output", {"department": 200, "department_other": 404,
                                            "operator": 200}),
    ("POST", "/api/v1/codes/{subject_id:str}/reissue"): only(
        "/api/v1/codes/{S}/reissue", {"merchant": 201, "department": 201, "merchant_other": 404},
        body={"reason": "贴纸被复制"}),
    ("GET", "/api/v1/stores/{store_id:str}/scan-stats"): only(
        "/api/v1/stores/{S}/scan-stats", {"merchant": 200, "department": 200,
                                          "merchant_other": 404}),
    ("GET", "/api/v1/enterprises/{enterprise_id:str}/scan-stats"): only(
        "/api/v1/enterprises/{E}/scan-stats", {"merchant": 200, "department": 200,
                                               "merchant_other": 404}),
    # ---- 信用+ scenarios (the scenario's own writes: only its department, inside its region)
    ("GET", "/api/v1/scenarios"): anyone("/api/v1/scenarios"),
    ("GET", "/api/v1/industries"): anyone("/api/v1/industries"),
    ("GET", "/api/v1/scenarios/{key:str}"): anyone("/api/v1/scenarios/beef_soup"),
    ("GET", "/api/v1/subjects/{subject_id:str}/scenarios"): anyone(
        "/api/v1/subjects/{S}/scenarios"),
    ("GET", "/api/v1/subjects/{subject_id:str}/measures"): anyone(
        "/api/v1/subjects/{S}/measures"),
    ("PUT", "/api/v1/scenarios/medical_insurance/agreements/{subject_id:str}"): only(
        "/api/v1/scenarios/medical_insurance/agreements/{H}", {"department_other": 200},
        body={"agreement_no": "YB-2024-001", "status": "in_force", "signed_on": days_ago(300),
              "status_since": days_ago(300)}),
    ("POST", "/api/v1/scenarios/medical_insurance/media-exposures"): only(
        "/api/v1/scenarios/medical_insurance/media-exposures", {"department_other": 201},
        body={"subject_id": "{H}", "outlet": "淮南日报", "title": "违规收费", "reported_on":
              days_ago(10), "severity": "general", "verified": True}),
    # ---- scenario partners and 信用+先医后付 (merchants act for their own businesses only)
    ("GET", "/api/v1/scenarios/{key:str}/participants"): anyone(
        "/api/v1/scenarios/tourism/participants"),
    ("PUT", "/api/v1/scenarios/{key:str}/participants/{subject_id:str}"): only(
        "/api/v1/scenarios/beef_soup/participants/{S}", {"department": 422},
        body={"measures": ["no_such_offer"]}),
    ("DELETE", "/api/v1/scenarios/{key:str}/participants/{subject_id:str}"): only(
        "/api/v1/scenarios/beef_soup/participants/{S}", {"department": 404}),
    ("POST", "/api/v1/scenarios/{key:str}/redemptions"): only(
        "/api/v1/scenarios/tourism/redemptions", {"merchant": 422, "merchant_other": 422},
        body={"code": "A" * 55, "subject_id": "{S}", "measure": "deposit_free_ab"}),
    ("POST", "/api/v1/scenarios/{key:str}/person-reports"): only(
        "/api/v1/scenarios/property/person-reports", {"merchant": 422, "merchant_other": 422},
        body={"code": "A" * 55, "subject_id": "{S}", "result": "on_time", "period": "2026",
              "title": "物业费按时交纳"}),
    ("POST", "/api/v1/scenarios/pay_later/preauthorisations"): only(
        "/api/v1/scenarios/pay_later/preauthorisations", {},
        body={"code": "A" * 55, "hospital_id": "{H}", "reference": "R1", "amount_fen": 100}),
    ("POST", "/api/v1/scenarios/pay_later/bills/{bill_id:str}/charge"): only(
        "/api/v1/scenarios/pay_later/bills/B0000000001/charge",
        {"merchant": 404, "merchant_other": 404}, body={"amount_fen": 1}),
    ("POST", "/api/v1/scenarios/pay_later/bills/{bill_id:str}/settle"): only(
        "/api/v1/scenarios/pay_later/bills/B0000000001/settle",
        {"merchant": 404, "merchant_other": 404}),
    ("POST", "/api/v1/scenarios/pay_later/bills/{bill_id:str}/cancel"): only(
        "/api/v1/scenarios/pay_later/bills/B0000000001/cancel",
        {"merchant": 404, "merchant_other": 404}),
    ("GET", "/api/v1/scenarios/pay_later/me"): only("/api/v1/scenarios/pay_later/me",
                                                    {"consumer": 200}),
    ("GET", "/api/v1/scenarios/pay_later/terms"): anyone("/api/v1/scenarios/pay_later/terms"),
    ("PUT", "/api/v1/scenarios/pay_later/terms"): only(
        "/api/v1/scenarios/pay_later/terms", {}, body={"due_days": 20}),
    ("POST", "/api/v1/scenarios/pay_later/overdue-check"): only(
        "/api/v1/scenarios/pay_later/overdue-check", {}),
    # ---- accountability: audit and the non-public file
    ("GET", "/api/v1/audit"): only("/api/v1/audit", {"operator": 200}),
    ("GET", "/api/v1/audit/verification"): only("/api/v1/audit/verification",
                                                {"operator": 200}),
    ("GET", "/api/v1/subjects/{subject_id:str}/file"): only(
        "/api/v1/subjects/{S}/file", {"department": 200, "operator": 200},
        query={"purpose": "双随机抽查前调阅"}),
    ("GET", "/api/v1/subjects/{subject_id:str}/access-log"): only(
        "/api/v1/subjects/{S}/access-log", {"merchant": 200, "operator": 200}),
    # ---- objections 异议
    ("POST", "/api/v1/records/{record_id:str}/objections"): only(
        "/api/v1/records/{R_free}/objections", {"merchant": 201},
        body={"reason": "原料未过期,有进货票据", "attachments": [ATTACHMENT]}),
    ("GET", "/api/v1/objections"): only(
        "/api/v1/objections", {"merchant": 200, "merchant_other": 200, "department": 200,
                               "department_other": 200, "operator": 200}),
    ("GET", "/api/v1/objections/{objection_id:str}"): only(
        "/api/v1/objections/{O}", {"merchant": 200, "department": 200, "operator": 200}),
    ("POST", "/api/v1/objections/{objection_id:str}/decision"): only(
        "/api/v1/objections/{O}/decision", {"department": 200},
        body={"decision": "withdraw", "reason": "经核实健康证已办理"}),
    # ---- repairs 信用修复
    ("POST", "/api/v1/records/{record_id:str}/repairs"): only(
        "/api/v1/records/{R_free}/repairs", {"merchant": 201},
        body={"statement": "已整改", "commitment": "承诺不再使用过期原料",
              "evidence": [ATTACHMENT]}),
    ("GET", "/api/v1/repairs"): only(
        "/api/v1/repairs", {"merchant": 200, "merchant_other": 200, "department": 200,
                            "department_other": 200, "operator": 200}),
    ("GET", "/api/v1/repairs/{repair_id:str}"): only(
        "/api/v1/repairs/{P}", {"merchant": 200, "department": 200, "operator": 200}),
    ("POST", "/api/v1/repairs/{repair_id:str}/decision"): only(
        "/api/v1/repairs/{P}/decision", {"department": 200},
        body={"approve": True, "reason": "整改到位"}),
    # ---- commitments 信用承诺
    ("POST", "/api/v1/subjects/{subject_id:str}/commitments"): only(
        "/api/v1/subjects/{S}/commitments", {"merchant": 201},
        body={"type": "self_discipline", "department": "scjg", "title": "行业自律承诺",
              "content": "遵守行业公约"}),
    ("GET", "/api/v1/subjects/{subject_id:str}/commitments"): anyone(
        "/api/v1/subjects/{S}/commitments"),
    ("GET", "/api/v1/commitments"): only(
        "/api/v1/commitments", {"department": 200, "department_other": 200}),
    ("POST", "/api/v1/commitments/{commitment_id:str}/assessment"): only(
        "/api/v1/commitments/{C}/assessment", {"department": 200},
        body={"result": "broken", "reason": "未明码标价", "severity": "general",
              "legal_basis": "《明码标价和禁止价格欺诈规定》第二十条",
              "occurred_on": days_ago(0)}),
    # ---- 失信曝光台 and districts
    ("GET", "/api/v1/disclosures"): anyone("/api/v1/disclosures"),
    ("GET", "/api/v1/districts"): anyone("/api/v1/districts"),
    ("GET", "/api/v1/departments"): anyone("/api/v1/departments"),
    ("GET", "/api/v1/districts/{district_id:str}"): anyone("/api/v1/districts/{D}"),
    ("POST", "/api/v1/districts"): only(
        "/api/v1/districts", {"department": 201},
        body={"name": "舜耕信用商圈", "kind": "business_district", "region_code": "340403"}),
    ("POST", "/api/v1/districts/{district_id:str}/stores"): only(
        "/api/v1/districts/{D}/stores", {"department": 200}, body={"store_ids": ["{S2}"]}),
    ("DELETE", "/api/v1/districts/{district_id:str}/stores/{store_id:str}"): only(
        "/api/v1/districts/{D}/stores/{S2}", {"department": 204}),
    # ---- consumers and merchants (issue 4). Without XINYI_WECHAT_APPID the WeChat login
    # answers 503; the development login exists only in demo mode. The world's consumer has no
    # visit proof (403 no-visit-proof) and T/Q ids that do not exist give 404 to whoever may
    # ask; tests/ratings covers the same routes with real ratings and complaints.
    ("POST", "/api/v1/auth/wechat"): anyone("/api/v1/auth/wechat", 503, body={"code": "abc"}),
    ("POST", "/api/v1/auth/dev-login"): anyone("/api/v1/auth/dev-login", 404,
                                               body={"name": "alice"}),
    ("POST", "/api/v1/auth/refresh"): anyone("/api/v1/auth/refresh", 401,
                                             body={"refresh_token": "rt_not-a-real-token"}),
    ("POST", "/api/v1/auth/logout"): anyone("/api/v1/auth/logout", 401,
                                            body={"refresh_token": "rt_not-a-real-token"}),
    ("POST", "/api/v1/enterprises/{enterprise_id:str}/claim-codes"): only(
        "/api/v1/enterprises/{E}/claim-codes", {"department": 201}, body={}),
    ("POST", "/api/v1/merchant/claims"): only(
        "/api/v1/merchant/claims", {"merchant": 422, "merchant_other": 422},
        body={"code": "AAAA-BBBB-CCCC-DDDD"}),
    ("GET", "/api/v1/merchant/enterprises"): only(
        "/api/v1/merchant/enterprises", {"merchant": 200, "merchant_other": 200}),
    ("GET", "/api/v1/merchant/complaints"): only(
        "/api/v1/merchant/complaints", {"merchant": 200, "merchant_other": 200}),
    ("GET", "/api/v1/merchant/reports"): only(
        "/api/v1/merchant/reports", {"merchant": 200, "merchant_other": 200}),
    ("GET", "/api/v1/me/ratings"): only("/api/v1/me/ratings", {"consumer": 200}),
    ("GET", "/api/v1/me/visits"): only("/api/v1/me/visits", {"consumer": 200}),
    ("DELETE", "/api/v1/me/ratings/{rating_id:str}"): only(
        "/api/v1/me/ratings/T0000000001", {"consumer": 404}),
    ("GET", "/api/v1/me/complaints"): only("/api/v1/me/complaints", {"consumer": 200}),
    ("DELETE", "/api/v1/me/complaints/{complaint_id:str}"): only(
        "/api/v1/me/complaints/Q0000000001", {"consumer": 404}),
    ("GET", "/api/v1/me/export"): only("/api/v1/me/export", {"consumer": 200}),
    ("GET", "/api/v1/me/credit"): only("/api/v1/me/credit", {"consumer": 200}),
    ("GET", "/api/v1/me/measures"): only("/api/v1/me/measures", {"consumer": 200}),
    # the matrix's consumer token names no stored account
    ("POST", "/api/v1/me/credit-code"): only("/api/v1/me/credit-code", {"consumer": 404}),
    ("POST", "/api/v1/stores/{store_id:str}/ratings"): only(
        "/api/v1/stores/{S}/ratings", {"consumer": 403}, body={"stars": 5}),
    ("GET", "/api/v1/stores/{store_id:str}/ratings"): anyone("/api/v1/stores/{S}/ratings"),
    ("POST", "/api/v1/stores/{store_id:str}/complaints"): only(
        "/api/v1/stores/{S}/complaints", {"consumer": 403},
        body={"category": "hygiene", "text": "餐具上有污渍"}),
    ("POST", "/api/v1/ratings/{rating_id:str}/helpful"): only(
        "/api/v1/ratings/T0000000001/helpful", {"consumer": 404}),
    ("PUT", "/api/v1/ratings/{rating_id:str}/reply"): only(
        "/api/v1/ratings/T0000000001/reply", {"merchant": 404, "merchant_other": 404},
        body={"text": "感谢反馈"}),
    ("POST", "/api/v1/ratings/{rating_id:str}/reports"): only(
        "/api/v1/ratings/T0000000001/reports", {"merchant": 404, "merchant_other": 404},
        body={"reason": "从未到店"}),
    ("GET", "/api/v1/moderation/ratings"): only(
        "/api/v1/moderation/ratings", {"department": 200, "department_other": 200}),
    ("POST", "/api/v1/moderation/ratings/{rating_id:str}/decision"): only(
        "/api/v1/moderation/ratings/T0000000001/decision",
        {"department": 404, "department_other": 404},
        body={"decision": "approve", "reason": "核实无误"}),
    ("GET", "/api/v1/complaints"): only(
        "/api/v1/complaints", {"department": 200, "department_other": 200}),
    ("GET", "/api/v1/complaints/{complaint_id:str}"): only(
        "/api/v1/complaints/Q0000000001", {"consumer": 404, "department": 404,
                                           "department_other": 404}),
    ("POST", "/api/v1/complaints/{complaint_id:str}/decision"): only(
        "/api/v1/complaints/Q0000000001/decision", {"department": 404, "department_other": 404},
        body={"decision": "reject", "reason": "证据不足"}),
    # ---- imports 数据归集 (docs/imports.md): a body that is not a file or NDJSON is a 415
    ("POST", "/api/v1/imports"): only(
        "/api/v1/imports", {"department": 415, "department_other": 415}),
    ("POST", "/api/v1/imports/batches"): only(
        "/api/v1/imports/batches", {"department": 415, "department_other": 415}),
    ("GET", "/api/v1/imports"): only(
        "/api/v1/imports", {"department": 200, "department_other": 200, "operator": 200}),
    ("GET", "/api/v1/imports/{job_id:str}"): only(
        "/api/v1/imports/1", {"department": 404, "department_other": 404, "operator": 404}),
    ("GET", "/api/v1/imports/{job_id:str}/problems"): only(
        "/api/v1/imports/1/problems",
        {"department": 404, "department_other": 404, "operator": 404}),
    ("GET", "/api/v1/imports/{job_id:str}/report.csv"): only(
        "/api/v1/imports/1/report.csv",
        {"department": 404, "department_other": 404, "operator": 404}),
    ("GET", "/api/v1/imports/{job_id:str}/report.xlsx"): only(
        "/api/v1/imports/1/report.xlsx",
        {"department": 404, "department_other": 404, "operator": 404}),
    ("POST", "/api/v1/imports/{job_id:str}/commit"): only(
        "/api/v1/imports/1/commit", {"department": 404, "department_other": 404}),
    ("GET", "/api/v1/import-layouts"): anyone("/api/v1/import-layouts"),
    ("GET", "/api/v1/import-layouts/{template:str}"): anyone(
        "/api/v1/import-layouts/penalty.csv"),
    ("GET", "/api/v1/disclosure-timeliness"): only(
        "/api/v1/disclosure-timeliness",
        {"department": 200, "department_other": 200, "operator": 200}),
    ("GET", "/api/v1/disclosure-timeliness/late"): only(
        "/api/v1/disclosure-timeliness/late",
        {"department": 200, "department_other": 200, "operator": 200}),
    ("GET", "/api/v1/code-reviews"): only(
        "/api/v1/code-reviews", {"department": 200, "department_other": 200, "operator": 200}),
    ("GET", "/api/v1/code-reviews/{review_id:str}"): only(
        "/api/v1/code-reviews/1", {"department": 404, "department_other": 404,
                                   "operator": 404}),
    ("POST", "/api/v1/code-reviews/{review_id:str}/resolution"): only(
        "/api/v1/code-reviews/1/resolution",
        {"department": 404, "department_other": 404, "operator": 404},
        body={"action": "dismiss", "reason": "不是问题"}),
    ("GET", "/api/v1/records/{record_id:str}/revisions"): only(
        "/api/v1/records/{R_free}/revisions",
        {"department": 200, "department_other": 403, "operator": 200}),
}

# Routes of the OpenAPI renderer: documentation, public by design.
IGNORED_PREFIXES = ("/schema",)
