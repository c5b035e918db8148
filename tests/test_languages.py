"""Short articles in many languages keep their paragraphs, alone and inside a
site's template, and the template goes; scripts written without spaces
(Chinese, Japanese, Thai) included."""
import pytest

from cleaner import Document, Pipeline
from cleaner.dedupview import dedup_view, is_prose
from cleaner.textnorm import count_words

TEMPLATES = {
    "en": (["Home", "News", "Sport"], ["Contact us", "Terms of use"]),
    "fi": (["Etusivu", "Uutiset", "Urheilu"], ["Ota yhteyttä", "Käyttöehdot"]),
    "ar": (["الرئيسية", "أخبار", "رياضة"], ["اتصل بنا", "شروط الاستخدام"]),
    "ko": (["홈", "뉴스", "스포츠"], ["문의하기", "이용약관"]),
    "he": (["דף הבית", "חדשות", "ספורט"], ["צור קשר", "תנאי שימוש"]),
    "hi": (["होम", "समाचार", "खेल"], ["संपर्क करें", "उपयोग की शर्तें"]),
    "zh": (["首页", "新闻", "体育"], ["联系我们", "关于我们"]),
    "ja": (["ホーム", "ニュース", "スポーツ"], ["お問い合わせ", "利用規約"]),
    "th": (["หน้าแรก", "ข่าว", "กีฬา"], ["ติดต่อเรา", "เกี่ยวกับเรา"]),
}
ARTICLES = {
    "en": [["The city council approved a new budget on Tuesday that raises spending on public transport.",
             "The finance office said the plan adds two new bus lines."],
            ["A technology company said it will launch a new electric car next year with a long range.",
             "Analysts expect the model to sharpen competition in the market."],
            ["A university has opened an artificial intelligence course and will admit two hundred students.",
             "The school said the course combines theory and practice."]],
    "fi": [["Kaupunginvaltuusto hyväksyi tiistaina uuden talousarvion, joka lisää joukkoliikenteen rahoitusta.",
            "Talousosaston mukaan suunnitelma tuo kaksi uutta bussilinjaa."],
           ["Teknologiayhtiö kertoi tuovansa ensi vuonna markkinoille uuden sähköauton, jolla on pitkä toimintamatka.",
            "Analyytikoiden mukaan malli kiristää kilpailua markkinoilla."],
           ["Yliopisto avasi uuden tekoälyn koulutusohjelman ja ottaa tänä vuonna vastaan kaksisataa opiskelijaa.",
            "Yliopiston mukaan opetus yhdistää teoriaa ja käytäntöä."]],
    "ar": [["وافق مجلس المدينة يوم الثلاثاء على ميزانية جديدة تزيد الإنفاق على النقل العام بعد نقاش طويل.",
            "وقالت إدارة المالية إن الخطة ستضيف خطين جديدين للحافلات."],
           ["أعلنت شركة تكنولوجيا أنها ستطلق سيارة كهربائية جديدة العام المقبل بمدى قيادة طويل.",
            "ويرى المحللون أن الطراز سيزيد المنافسة في السوق."],
           ["افتتحت جامعة تخصصا جديدا في الذكاء الاصطناعي وستقبل مئتي طالب هذا العام.",
            "وقالت الجامعة إن الدروس ستجمع بين النظرية والتطبيق."]],
    "ko": [["서울시의회는 화요일 몇 달간의 논의 끝에 대중교통 지출을 늘리는 새 예산안을 승인했다.",
            "재무국에 따르면 이 계획으로 새로운 버스 노선 두 개가 추가된다."],
           ["한 기술 기업은 내년에 주행 거리가 긴 새로운 전기차를 출시하겠다고 발표했다.",
            "분석가들은 이 모델이 시장 경쟁을 심화시킬 것으로 보고 있다."],
           ["한 대학은 인공지능 학과를 새로 열고 올해 이백 명의 학생을 받을 예정이다.",
            "학교 측은 수업이 이론과 실습을 결합할 것이라고 밝혔다."]],
    "he": [["מועצת העיר אישרה ביום שלישי תקציב חדש שמגדיל את ההוצאה על תחבורה ציבורית לאחר דיון ארוך.",
            "מחלקת הכספים מסרה כי התוכנית מוסיפה שני קווי אוטובוס חדשים."],
           ["חברת טכנולוגיה הודיעה כי תשיק בשנה הבאה מכונית חשמלית חדשה עם טווח נסיעה ארוך.",
            "אנליסטים מעריכים שהדגם יגביר את התחרות בשוק."],
           ["אוניברסיטה פתחה מסלול חדש לבינה מלאכותית ותקבל השנה מאתיים סטודנטים.",
            "בית הספר מסר שהקורסים משלבים תיאוריה ומעשה."]],
    "hi": [["नगर परिषद ने मंगलवार को लंबी बहस के बाद सार्वजनिक परिवहन पर खर्च बढ़ाने वाले नए बजट को मंजूरी दी।",
            "वित्त विभाग ने कहा कि इस योजना से दो नई बस लाइनें जुड़ेंगी।"],
           ["एक तकनीकी कंपनी ने घोषणा की कि वह अगले साल लंबी दूरी वाली नई इलेक्ट्रिक कार लॉन्च करेगी।",
            "विश्लेषकों का मानना है कि यह मॉडल बाजार में प्रतिस्पर्धा बढ़ाएगा।"],
           ["एक विश्वविद्यालय ने कृत्रिम बुद्धिमत्ता का नया विभाग खोला है और इस साल दो सौ छात्रों को प्रवेश देगा।",
            "विश्वविद्यालय ने कहा कि पढ़ाई में सिद्धांत और व्यवहार दोनों शामिल होंगे।"]],
    "zh": [["北京市政府周二批准了一项新的预算计划，将增加对公共交通的投入。议会对此讨论了几个月。",
            "财政局表示，该计划将新增两条公交线路，并延长中央图书馆的开放时间。"],
           ["上海的一家科技公司宣布，将在明年推出一款新的电动汽车，续航里程超过六百公里。",
            "分析人士认为，这款车型将加剧国内电动汽车市场的竞争。"],
           ["广州的一所大学开设了人工智能专业，今年计划招收两百名学生。",
            "学校表示，课程将结合理论与实践，学生将有机会到企业实习。"]],
    "ja": [["東京都は火曜日、公共交通機関への支出を増やす新しい予算案を承認した。",
            "財務局によると、この計画では新しいバス路線が二つ追加される。"],
           ["あるテクノロジー企業は、来年新しい電気自動車を発売すると発表した。",
            "アナリストは、このモデルが市場の競争を激化させると見ている。"],
           ["ある大学は人工知能の新しい学科を開設し、今年二百人の学生を受け入れる予定だ。",
            "大学によると、授業は理論と実践を組み合わせたものになる。"]],
    "th": [["สภากรุงเทพมหานครอนุมัติงบประมาณใหม่เมื่อวันอังคารหลังจากการอภิปรายที่ยาวนานหลายเดือน",
            "สำนักงานการคลังระบุว่าแผนนี้จะเพิ่มเส้นทางรถประจำทางใหม่สองสายและขยายเวลาเปิดห้องสมุดกลาง"],
           ["บริษัทเทคโนโลยีแห่งหนึ่งประกาศว่าจะเปิดตัวรถยนต์ไฟฟ้ารุ่นใหม่ในปีหน้าซึ่งวิ่งได้ไกลกว่าหกร้อยกิโลเมตร",
            "นักวิเคราะห์เชื่อว่ารถรุ่นนี้จะทำให้การแข่งขันในตลาดรถยนต์ไฟฟ้ารุนแรงขึ้น"],
           ["มหาวิทยาลัยแห่งหนึ่งเปิดสาขาปัญญาประดิษฐ์และวางแผนรับนักศึกษาสองร้อยคนในปีนี้",
            "ทางมหาวิทยาลัยระบุว่าหลักสูตรจะผสมผสานทฤษฎีและการปฏิบัติเข้าด้วยกัน"]],
}


@pytest.mark.parametrize("lang", sorted(TEMPLATES))
def test_articles_of_one_site_keep_their_paragraphs_and_lose_the_template(lang):
    # The second paragraph sits between the first and the footer: the line
    # model used to score it as template (all of these but English lost it).
    top, bottom = TEMPLATES[lang]
    docs = [Document(id=f"{lang}{i}", text="\n".join(top + body + bottom), source=f"{lang}.example")
            for i, body in enumerate(ARTICLES[lang])]
    for doc, body in zip(Pipeline().run(docs), ARTICLES[lang]):
        assert doc.cleaned_text().split("\n") == body, doc.id


@pytest.mark.parametrize("lang", sorted(TEMPLATES))
def test_an_article_cleaned_alone_keeps_its_paragraphs(lang):
    top, bottom = TEMPLATES[lang]
    body = ARTICLES[lang][0]
    cleaned = Pipeline().clean_text("\n".join(top + body + bottom)).split("\n")
    assert cleaned[-len(body):] == body


def test_words_of_scripts_without_spaces():
    assert count_words("The council met on Tuesday.") == 5
    assert count_words("北京市政府周二批准了") == 5  # ten characters, two a word
    assert count_words("AI技术很好") == 3  # one token: "AI", then four CJK characters
    assert count_words("ข่าวกีฬาวันนี้") == 4  # fourteen code points, four a word
    assert count_words("Zürich café") == 2


def test_the_duplicate_view_of_a_chinese_article_is_its_body():
    top, bottom = TEMPLATES["zh"]
    body = ARTICLES["zh"][0] + ARTICLES["zh"][1]
    assert dedup_view("\n".join(top + body + bottom)) == "\n".join(body)


def test_a_long_thai_line_reads_as_prose_without_a_sentence_mark():
    # Thai marks no sentence end: twice the usual words, ending in Thai, is prose.
    para = ARTICLES["th"][0][1]
    assert is_prose(para, count_words(para))
    assert not is_prose("หน้าแรก", count_words("หน้าแรก"))
    assert not is_prose("The council met on Tuesday and agreed to fund the new library", 12)


# A long site template with a prose blurb of its own, around one-paragraph
# articles: the blurb must go as a site repeat.  The copy test weighs what
# one page misses of another in words; it once counted a Chinese, Japanese
# or Thai paragraph as one word (no spaces), so every other article of the
# site looked like a copy missing "a few words", and the template stayed.
LONG_MENUS = {
    "en": ["Home", "News", "Sport", "Business", "Tech", "Culture", "Travel", "Health", "World", "Opinion",
           "Video", "Photos", "Cars", "Property", "Education", "Science", "Books", "Music", "Film", "Blogs"],
    "zh": ["首页", "新闻", "体育", "财经", "科技", "娱乐", "汽车", "房产", "教育", "旅游",
           "健康", "文化", "军事", "国际", "社会", "图片", "视频", "评论", "专题", "博客"],
    "ja": ["ホーム", "ニュース", "スポーツ", "経済", "科学", "文化", "旅行", "健康", "国際", "社会",
           "写真", "動画", "意見", "特集", "教育", "自動車", "不動産", "音楽", "映画", "ブログ"],
    "th": ["หน้าแรก", "ข่าว", "กีฬา", "เศรษฐกิจ", "เทคโนโลยี", "บันเทิง", "ท่องเที่ยว", "สุขภาพ", "ต่างประเทศ", "สังคม",
           "ภาพ", "วิดีโอ", "ความเห็น", "การศึกษา", "รถยนต์", "อสังหา", "ดนตรี", "ภาพยนตร์", "บล็อก", "วัฒนธรรม"],
}
BLURBS = {
    "en": "This website brings readers the latest news and in-depth reports on national and international "
          "affairs, business, technology and culture, and welcomes your comments.",
    "zh": "本网站致力于为读者提供最新的新闻资讯和深度报道，内容涵盖国内外时事、财经、科技和文化等领域，欢迎广大读者关注我们并提出宝贵意见。",
    "ja": "当サイトは国内外の最新ニュースや詳しい解説記事を、経済、科学、文化などの分野にわたって毎日お届けしています。ご意見やご感想をお待ちしております。",
    "th": "เว็บไซต์ของเรามุ่งนำเสนอข่าวสารล่าสุดและบทวิเคราะห์เชิงลึกทั้งในประเทศและต่างประเทศครอบคลุมเศรษฐกิจเทคโนโลยีและวัฒนธรรมยินดีรับฟังความคิดเห็นจากผู้อ่านทุกท่าน",
}


@pytest.mark.parametrize("lang", sorted(BLURBS))
def test_a_long_template_and_its_prose_go_as_site_repeats(lang):
    docs = [Document(id=f"{lang}{i}", text="\n".join(LONG_MENUS[lang] + [body[0], BLURBS[lang]]),
                     source=f"{lang}.example")
            for i, body in enumerate(ARTICLES[lang])]
    for doc, body in zip(Pipeline().run(docs), ARTICLES[lang]):
        assert doc.cleaned_text() == body[0], doc.id
        assert {r.rule for r in doc.removals() if r.text == BLURBS[lang]} == {"site_repeat"}, doc.id


# An edited copy of an article on the same site: a character changed in the
# middle of most of its paragraphs.  The copy test holds an edited line by its
# first or last words; in Chinese, Japanese and Thai those are counted a word
# every few characters (a paragraph has no spaces to split at).
LONG_ARTICLES = {
    "zh": ["北京市政府周二批准了一项新的预算计划，将大幅增加对公共交通的投入，议会对此讨论了好几个月。",
           "财政局表示，该计划将新增两条公交线路，并延长中央图书馆和几座社区体育馆的开放时间。",
           "市民代表在听证会上提出了许多意见，其中大部分集中在票价和夜间公交服务的安排上。",
           "预算还包括修缮老旧学校的资金，教育部门希望在明年夏天之前完成第一批工程。"],
    "ja": ["東京都は火曜日、公共交通機関への支出を大幅に増やす新しい予算案を数か月の議論の末に承認した。",
           "財務局によると、この計画では新しいバス路線が二つ追加され、中央図書館の開館時間も延長される。",
           "公聴会では市民の代表から多くの意見が出され、その大半は運賃と夜間バスの運行に関するものだった。",
           "予算には古い学校の改修費用も含まれており、教育局は来年の夏までに最初の工事を終えたいとしている。"],
    "th": ["สภากรุงเทพมหานครอนุมัติงบประมาณใหม่เมื่อวันอังคารหลังจากการอภิปรายที่ยาวนานหลายเดือนเพื่อเพิ่มการลงทุนในระบบขนส่งสาธารณะ",
           "สำนักงานการคลังระบุว่าแผนนี้จะเพิ่มเส้นทางรถประจำทางใหม่สองสายและขยายเวลาเปิดห้องสมุดกลางและสนามกีฬาชุมชน",
           "ตัวแทนประชาชนได้แสดงความคิดเห็นมากมายในการรับฟังความคิดเห็นซึ่งส่วนใหญ่เกี่ยวกับค่าโดยสารและรถประจำทางกลางคืน",
           "งบประมาณยังรวมถึงเงินสำหรับซ่อมแซมโรงเรียนเก่าซึ่งฝ่ายการศึกษาหวังว่าจะเสร็จงานแรกก่อนฤดูร้อนปีหน้า"],
}


def _edit_middle(line: str) -> str:
    """The line with one character in its middle replaced (a typo fixed, a word changed)."""
    middle = len(line) // 2
    return line[:middle] + ("大" if line[middle] != "大" else "小") + line[middle + 1:]


@pytest.mark.parametrize("lang", sorted(LONG_ARTICLES))
def test_an_edited_copy_keeps_its_paragraphs(lang):
    body = LONG_ARTICLES[lang]
    edited = [_edit_middle(line) if n < 3 else line for n, line in enumerate(body)]
    pages = [("original", body), ("edit", edited)] + [(f"other-{n}", article) for n, article in enumerate(ARTICLES[lang])]
    docs = [Document(id=doc_id, text="\n".join(LONG_MENUS[lang] + lines), source=f"{lang}.example")
            for doc_id, lines in pages]
    out = {doc.id: doc for doc in Pipeline().run(docs)}
    # The two versions hold each other's paragraphs (exactly or by their ends): none is a site repeat.
    assert out["original"].cleaned_text().splitlines() == body
    assert out["edit"].cleaned_text().splitlines() == edited
    assert out["other-0"].cleaned_text().splitlines() == ARTICLES[lang][0]
