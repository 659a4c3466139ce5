"""Policy documents the built-in scenarios cite as the basis (依据) of their measures.

The seed documents are the programme's own requirement texts (``shared/seeds``); the articles are
their section numbers. National documents are cited by their official numbers.
"""

from __future__ import annotations

from xinyi_api.scenarios.kit import Basis

HUAINAN_PLAN = "淮南市关于健全社会信用体系工作方案(征求意见稿)"
ANHUI_PLAN = "安徽省推进社会信用体系建设高质量发展行动方案"
JIANGSU_PLAN = "江苏省“十四五”社会信用体系建设规划(苏政办发〔2021〕)"
HENAN_PLAN = "河南省高质量推进信用河南建设促进形成新发展格局实施方案"
YICHANG_POINTS = "宜昌市2024年社会信用体系建设工作要点"
STATE_COUNCIL_2019_35 = ("国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的"
                         "指导意见(国办发〔2019〕35号)")
NATIONAL_LIST_2024 = "全国失信惩戒措施基础清单(2024年版)(发改财金规〔2024〕203号)"

GRADED_SUPERVISION = Basis(
    STATE_COUNCIL_2019_35, "三(七) 大力推进信用分级分类监管",
    "对信用较好、风险较低的市场主体,可合理降低抽查比例和频次;对违法失信、风险较高的市场主体,"
    "适当提高抽查比例和频次",
)
FEWER_INSPECTIONS = Basis(
    ANHUI_PLAN, "二(一)7 实施信用惠民便企工程",
    "推动政府部门对守信主体实施……日常监管减少频次等激励措施",
)
RECTIFICATION = Basis(
    STATE_COUNCIL_2019_35, "四(九) 督促失信市场主体限期整改",
    "失信市场主体应当在规定期限内认真整改,整改不到位的,按照“谁认定、谁约谈”的原则,由认定部门"
    "依法依规启动提示约谈或警示约谈程序",
)
KEY_ATTENTION = Basis(
    JIANGSU_PLAN, "六(二) 探索建立重点关注对象名单制度",
    "对存在失信行为但尚未达到严重失信行为认定标准的市场主体……实施与其失信程度相对应的监管措施",
)
NO_EXTRA_PUNISHMENT = Basis(
    YICHANG_POINTS, "15 完善事后环节信用监管",
    "不得以现行规定对失信行为惩戒力度不足为由,随意增设惩戒措施或在法定惩戒标准上加重惩戒",
)
