"""The demo's data tables: units, places, petition topics, issue templates, names (all
synthetic, shaped after the figures of the seeds; see ``xuncha_shared.cli.demo``)."""

from __future__ import annotations

from xuncha_shared.contracts.common import Department

DEFAULT_SEED = 20241014  # 10月14日: the date of the round-7 linkage plan (000:L38)
TRANSFERS = 52  # 000:L40

CITY_UNITS: tuple[str, ...] = (
    "市财政局",
    "市住建局",
    "市交通运输局",
    "市自然资源局",
    "市农业农村局",
    "市教育局",
    "市卫生健康委",
    "市水利局",
    "市市场监管局",
    "市人社局",
    "市民政局",
    "市城市建设投资集团",
)
COUNTY_DEPARTMENTS: tuple[str, ...] = (
    "农业农村局",
    "住建局",
    "教育体育局",
    "卫生健康委",
    "民政局",
    "自然资源局",
    "财政局",
    "水利局",
)
TOWNSHIP_KINDS: tuple[str, ...] = ("××镇", "××乡", "××街道")

#: Petitions per jurisdiction (city-level work first); sums to 230.
PETITION_WEIGHTS: dict[str, int] = {
    "361000": 38,
    "361002": 34,
    "361003": 20,
    "361021": 16,
    "361022": 13,
    "361023": 14,
    "361024": 15,
    "361025": 16,
    "361026": 13,
    "361027": 15,
    "361028": 11,
    "361030": 25,
}

FUNDS = (
    "城乡低保金",
    "农村危房改造补助",
    "耕地地力保护补贴",
    "高龄老人津贴",
    "残疾人两项补贴",
    "产业发展奖补资金",
    "退耕还林补助",
    "易地搬迁安置补助",
)
PROJECTS = (
    "农村人居环境整治工程",
    "高标准农田建设项目",
    "乡村道路硬化工程",
    "老旧小区改造项目",
    "安置房建设项目",
    "农村饮水安全工程",
    "校舍维修改造项目",
)
SERVICES = ("不动产登记", "社保转移接续", "建房审批", "营业执照变更", "医保报销")
MATTERS = ("征地补偿款拖欠", "小区产权证办理", "农民工工资拖欠", "采砂扰民", "养殖污染")

#: topic -> (weight, petition summary templates). Topics follow domain.md 2.3.
PETITION_TOPICS: dict[str, tuple[int, tuple[str, ...]]] = {
    "惠民资金": (
        5,
        (
            "反映{unit}在{year}年{fund}发放中存在虚报冒领、优亲厚友问题，涉及资金约{amount}万元。",
            "反映{place}村干部将本人亲属违规纳入{fund}发放名单，群众意见较大。",
            "反映{unit}{fund}审核把关不严，已故人员仍在领取补助。",
        ),
    ),
    "微腐败": (
        5,
        (
            "反映{place}村干部在{project}中收受施工方好处费。",
            "反映{place}村委会在土地征收青苗补偿中截留、挪用群众补偿款。",
            "反映{place}村干部在{project}中优亲厚友，将工程交由亲属承包。",
            "反映{unit}工作人员在办理{service}时吃拿卡要。",
        ),
    ),
    "四风": (
        5,
        (
            "反映{unit}个别干部工作日中午饮酒、公车私用。",
            "反映{unit}节假日期间违规收受管理服务对象礼品礼金。",
            "反映{unit}办事拖沓、推诿扯皮，群众办理{service}多次往返未果。",
            "反映{unit}督查检查过多过频、材料报表繁重，基层负担重。",
            "反映{unit}以开会、培训名义组织公款旅游。",
        ),
    ),
    "三重一大": (
        3,
        (
            "反映{unit}{project}未经领导班子集体研究，由主要负责人个人拍板。",
            "反映{unit}大额资金使用未按“三重一大”制度集体决策，约{amount}万元。",
        ),
    ),
    "选人用人": (
        2,
        (
            "反映{unit}在{year}年干部选拔任用中程序不规范，存在“带病提拔”问题。",
            "反映{unit}违规借调下属单位人员、超职数配备中层干部。",
        ),
    ),
    "民主集中制": (
        1,
        ("反映{unit}党组议事规则执行不严，“一把手”搞“一言堂”，班子成员意见得不到尊重。",),
    ),
    "信访": (
        2,
        (
            "反映{place}群众多次信访反映的{matter}问题长期未得到解决。",
            "反映{place}{matter}问题，多次向有关部门反映无果。",
            "反映{unit}对群众反映的{matter}问题推诿扯皮、久拖不决。",
        ),
    ),
    "资金使用": (
        2,
        (
            "反映{unit}违规发放津补贴，以会议费名义列支接待费用。",
            "反映{unit}专项资金长期闲置，部分资金被挤占挪用，约{amount}万元。",
        ),
    ),
}

#: topic -> the department a transfer goes to (R2 / Art. 28; 三重一大 has no fixed route)
TRANSFER_ROUTE: dict[str, Department] = {
    "惠民资金": Department.FINANCE,
    "微腐败": Department.DISCIPLINE,
    "四风": Department.DISCIPLINE,
    "三重一大": Department.DISCIPLINE,
    "选人用人": Department.ORGANISATION,
    "民主集中制": Department.ORGANISATION,
    "信访": Department.PETITIONS,
    "资金使用": Department.AUDIT,
}
TRANSFER_REASONS: dict[Department, str] = {
    Department.DISCIPLINE: "涉嫌违反中央八项规定精神及廉洁纪律，按干部管理权限移交",
    Department.ORGANISATION: "涉及干部选拔任用和民主集中制问题，移交组织部门处理",
    Department.PETITIONS: "属信访事项，移交信访部门依法依规办理",
    Department.AUDIT: "涉及专项资金使用，移交审计部门核查",
    Department.FINANCE: "涉及惠民资金管理，移交财政部门核查",
}

#: problems fed back to units: (template, concerned departments)
ISSUE_TEMPLATES: tuple[tuple[str, tuple[Department, ...]], ...] = (
    ("学习贯彻党的创新理论不够深入，理论学习中心组学习{weak}", ()),
    ("落实全面从严治党主体责任不到位，{weak2}", (Department.DISCIPLINE,)),
    ("落实“一岗双责”不到位，班子成员对分管领域廉政风险{weak3}", (Department.DISCIPLINE,)),
    ("“三重一大”决策制度执行不严格，{n}项重大事项未经集体研究", (Department.AUDIT,)),
    ("违反中央八项规定精神问题时有发生，{eight}", (Department.DISCIPLINE,)),
    ("形式主义、官僚主义问题依然存在，{formal}", (Department.DISCIPLINE,)),
    ("干部选拔任用工作不规范，{cadre}", (Department.ORGANISATION,)),
    ("基层党组织建设薄弱，{party}", (Department.ORGANISATION,)),
    ("财务管理不规范，{fin}", (Department.FINANCE, Department.AUDIT)),
    ("{fund}监管不力，审核把关不严，存在重复发放、违规发放问题", (Department.FINANCE,)),
    ("政府采购管理不规范，{buy}", (Department.AUDIT,)),
    ("国有资产管理混乱，{asset}", (Department.AUDIT, Department.FINANCE)),
    ("上轮巡察反馈问题整改不彻底，{n}项问题整改未完成", ()),
    ("落实意识形态工作责任制不到位，{ideo}", ()),
    ("群众反映强烈的{matter}问题解决不力，信访积案化解缓慢", (Department.PETITIONS,)),
    ("{project}监管缺位，工程变更、签证管理不规范", (Department.AUDIT,)),
)
ISSUE_SLOTS: dict[str, tuple[str, ...]] = {
    "weak": ("流于形式", "以读文件代替研讨", "联系实际不够紧密", "专题研讨次数不足"),
    "weak2": (
        "压力传导层层递减",
        "对下属单位监督管理偏松偏软",
        "年度党风廉政建设任务分解不具体",
    ),
    "weak3": ("排查不深入", "防控措施针对性不强", "提醒谈话开展不经常"),
    "eight": (
        "公务接待超标准、超范围",
        "公务用车管理不严，存在公车私用现象",
        "违规发放福利补贴",
        "节日期间违规收受礼品",
    ),
    "formal": (
        "文山会海问题反弹",
        "督查检查考核过多过频",
        "调查研究走马观花",
        "服务群众“最后一公里”不畅",
    ),
    "cadre": (
        "部分干部档案材料审核把关不严",
        "干部交流轮岗制度落实不到位",
        "违规借调下属单位人员",
        "超职数配备中层干部",
    ),
    "party": (
        "“三会一课”制度落实不到位",
        "党费收缴使用不规范",
        "发展党员程序不规范",
        "支部换届不及时",
    ),
    "fin": (
        "存在白条入账、大额现金支付问题",
        "往来款项长期挂账未清理",
        "以会议费名义列支接待费用",
        "预算执行不严，超预算支出",
    ),
    "buy": (
        "存在化整为零规避公开招标",
        "部分项目未按规定履行采购程序",
        "采购验收流于形式",
    ),
    "asset": ("资产账实不符", "闲置资产未及时处置", "对外出租资产未履行评估程序"),
    "ideo": ("阵地管理存在薄弱环节", "网络舆情研判处置不及时", "意识形态工作研究部署不够"),
}
RECT_TYPES = ("immediate", "time_bound", "time_bound", "time_bound", "long_term")

SURNAMES = "王李张刘陈杨黄吴赵周徐孙胡朱高林何郭罗"
GIVEN = ("秀英", "建华", "国平", "志强", "丽华", "桂兰", "海燕", "文斌", "小红", "春生", "新民")
ESCALATION_REASONS = {
    True: "涉及市管干部，按干部管理权限报市委巡察办",
    False: "涉及多个县区，报市委巡察办统筹办理",
}
REPORT_NOTES = {
    "progress": "已制定整改方案，明确责任人和完成时限，正在推进整改。",
    "formal": "按期报送整改情况报告及主要负责人组织落实整改情况报告。",
    "final": "整改措施已全部落实，建立健全相关制度，申请对账销号。",
}
#: the top leader's report on organising the rectification, which goes with the formal report
#: (and with a final one sent without it before, R1)
LEADER_REPORT = "党组（党委）书记履行第一责任人职责，主持召开专题会议部署整改，逐项督促落实。"
