// SPDX-License-Identifier: Apache-2.0
// HTML to visible text with an offset map back to the HTML bytes.
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "normalize/html_text.h"
#include "test_util.h"

using namespace nordpii;

TEST_CASE("tags that split a number vanish, entities decode", "[html]") {
  std::string html = "<p>fnr <b>151086</b>&nbsp;95088</p>";
  Decoded d = HtmlToText(html);
  CHECK(d.bytes == "fnr 151086\xC2\xA0" "95088\n");
  auto scanner = test::MakeScanner();
  auto fs = test::Scan(scanner, d.bytes);
  REQUIRE(fs.size() == 1);
  CHECK(fs[0].type == "no.fnr");
  ByteRange r = MapBack({static_cast<uint32_t>(fs[0].start), static_cast<uint32_t>(fs[0].end)}, {&d.map});
  CHECK(html.substr(r.start, r.end - r.start) == "151086</b>&nbsp;95088");
}

TEST_CASE("numeric entities, blocks, tables, and invisible content", "[html]") {
  CHECK(HtmlToText("&#49;&#53;&#x31;").bytes == "151");
  Decoded blocks = HtmlToText("<div>F&oslash;dselsnummer:</div><div>15108695088</div>");
  CHECK(blocks.bytes == "F\xC3\xB8" "dselsnummer:\n15108695088\n");
  Decoded table = HtmlToText("<table><tr><td>fnr</td><td>15108695088</td></tr></table>");
  CHECK(table.bytes.find("fnr | 15108695088") != std::string::npos);
  Decoded hidden = HtmlToText("<head><title>t</title><style>p{}</style></head>"
                              "<script>var x = '15108695088';</script><p>ok</p>");
  // Not in the visible text: after it, each a document of its own (html21).
  REQUIRE(hidden.separate.size() == 2);
  CHECK(hidden.bytes.substr(0, hidden.separate[0].begin) == "ok\n");
  CHECK(hidden.bytes.substr(hidden.separate[0].begin) == "t\nvar x = '15108695088';\n");
  Decoded visible_only;
  HtmlToText("<p>x</p><script>var x = '15108695088';</script>", visible_only, false);  // (ticket fields)
  CHECK(visible_only.bytes == "x\n");
  CHECK(visible_only.separate.empty());
  CHECK(HtmlToText("a<br>b").bytes == "a\nb");
  // A comment with a number in it is text in the message all the same:
  // scanned on a line of its own (hostile review); one without stays out.
  CHECK(HtmlToText("<!-- 15108695088 -->x").bytes == " 15108695088 \nx");
  CHECK(HtmlToText("<!--[if mso]>w 600<![endif]-->x").bytes == "x");
}

TEST_CASE("broken HTML and deep nesting are handled", "[html]") {
  CHECK(HtmlToText("<p>unclosed <b>bold <i>x").bytes.find("unclosed bold x") != std::string::npos);
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += i % 2 ? "<div>" : "<b>";
  deep += "151086 95088";
  Decoded d = HtmlToText(deep);  // linear fallback: quick even at 200 000 levels
  CHECK(d.bytes.find("151086 95088") != std::string::npos);
  CHECK_FALSE(d.notes.empty());
  // The map is monotone over the whole output.
  uint32_t prev = 0;
  for (uint32_t k = 0; k <= d.bytes.size(); ++k) {
    uint32_t s = d.map.Start(k);
    CHECK(s >= prev);
    prev = s;
  }
}

TEST_CASE("the linear fallback gives the same text for ordinary markup", "[html]") {
  // A document just over the depth limit exercises the fallback on real markup.
  std::string deep;
  for (int i = 0; i < 2100; ++i) deep += "<span>";
  deep += "<p>fnr <b>151086</b>&nbsp;95088</p><script>var a='1';</script><!-- 2 -->";
  Decoded d = HtmlToText(deep);
  CHECK(d.bytes.find("fnr 151086\xC2\xA0" "95088") != std::string::npos);
  CHECK(d.bytes.find("var a") == std::string::npos);
  auto scanner = test::MakeScanner();
  auto fs = test::Scan(scanner, d.bytes);
  REQUIRE(fs.size() == 1);
  ByteRange r = MapBack({static_cast<uint32_t>(fs[0].start), static_cast<uint32_t>(fs[0].end)}, {&d.map});
  CHECK(deep.substr(r.start, r.end - r.start) == "151086</b>&nbsp;95088");
}

TEST_CASE("white space at the start of a line is not rendered: a value wrapped after <br> is one line break",
          "[html][context]") {
  // Issue 11 (HTML mail, values wrapped inside a table cell or paragraph).
  std::string html = "<p>Hei</p>\n<table><tr><td>CPR:</td><td>211062<br>\n  5629</td></tr></table>";
  Decoded d = HtmlToText(html);
  CHECK(d.bytes.find("211062\n5629") != std::string::npos);
  for (const char* engine : {"hyperscan", "re2"}) {
    auto fs = test::Scan(test::MakeScanner(engine), d.bytes);
    REQUIRE(fs.size() == 1);
    CHECK(fs[0].type == "dk.cpr");
    ByteRange r = MapBack({static_cast<uint32_t>(fs[0].start), static_cast<uint32_t>(fs[0].end)}, {&d.map});
    CHECK(html.substr(r.start, r.end - r.start) == "211062<br>\n  5629");
  }
  CHECK(HtmlToTextGumbo(html).bytes == d.bytes);
}

// Hostile review 2026-12-03: attribute values, comments and hidden inline
// elements were invisible to the scan; a hidden span split a visible id.
TEST_CASE("html: text attributes, URLs, comments and hidden elements, the same on both parsers", "[html][issue11]") {
  struct Case {
    const char* html;
    const char* text;
  };
  const Case cases[] = {
      {"<p>fnr 151086<span style=\"display:none\">x</span>95088</p>", "fnr 15108695088\n"},
      {"<p>fnr 151086<span style=\"DISPLAY: none\">x</span>95088</p>", "fnr 15108695088\n"},
      {"<p>fnr 151086<span hidden>x</span>95088</p>", "fnr 15108695088\n"},
      {"<p>fnr 151086<b style=\"visibility:hidden\">x</b>95088</p>", "fnr 15108695088\n"},
      // hidden text with a number: scanned on its own line
      {"<p>a<span style=\"display:none\">fnr 15108695088</span>b</p>", "a\nfnr 15108695088\nb\n"},
      {"<img alt=\"fnr 15108695088\"><!-- fnr 15108695088 -->", "fnr 15108695088\nfnr 15108695088 \n"},
      {"<p>Hei <a href=\"mailto:a@b.no?subject=fnr%2015108695088\">x</a></p>",
       "Hei \nmailto:a@b.no?subject=fnr 15108695088\nx\n"},
      {"<p title=\"15108695088\">t</p>", "15108695088\nt\n"},
      {"<div data-fnr=\"15108695088\">z</div>", "15108695088\nz\n"},
      {"<p><input value=15108695088></p>", "15108695088\n"},
      {"<p>x<img alt=\"logo\" width=\"600\">y</p>", "xy\n"},  // no number: nothing added
      // review21a: an iframe's srcdoc is a document it shows (before: not scanned, exit 0)
      {"<p>x</p><iframe srcdoc=\"&lt;p&gt;fnr 15108695088&lt;/p&gt;\"></iframe>", "x\n<p>fnr 15108695088</p>\n"},
      {"<img alt=\"\xef\xbc\x91\xef\xbc\x95\xef\xbc\x91\xef\xbc\x90\xef\xbc\x98\xef\xbc\x96 95088\">",
       "\xef\xbc\x91\xef\xbc\x95\xef\xbc\x91\xef\xbc\x90\xef\xbc\x98\xef\xbc\x96 95088\n"},  // full-width digits count
  };
  for (const Case& c : cases) {
    INFO(c.html);
    Decoded fast = HtmlToText(c.html), gumbo = HtmlToTextGumbo(c.html);
    CHECK(fast.bytes == c.text);
    CHECK(gumbo.bytes == c.text);
  }
  // Offsets lead back into the attribute value; a URL's %20 is its own bytes.
  std::string html = "<a href=\"mailto:k@x.no?subject=fnr%2015108695088\">k</a>";
  Decoded d = HtmlToText(html);
  size_t at = d.bytes.find("15108695088");
  REQUIRE(at != std::string::npos);
  ByteRange r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&d.map});
  CHECK(html.substr(r.start, r.end - r.start) == "15108695088");
  at = d.bytes.find(" 1510");
  r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 1)}, {&d.map});
  CHECK(html.substr(r.start, r.end - r.start) == "%20");
}

// html21 (lead, 2026-12-05): an id in the title, a <meta content>, a script
// or a style sheet was not scanned at all (exit 0). They are in the message
// whether a mail client shows them or not: each is now a document of its own
// after the visible text, its offsets leading back to its own HTML bytes.
TEST_CASE("html: title, meta content, script, style and template are separate documents, the same on both parsers",
          "[html][html21]") {
  struct Case {
    const char* html;
    const char* visible;
    std::vector<std::string> docs;  // each separate document's text
    std::vector<bool> code;
  };
  const Case cases[] = {
      {"<html><head><title>F&oslash;dselsnummer 15108695088</title></head><body><p>Hei</p></body></html>", "Hei\n",
       {"F\xC3\xB8" "dselsnummer 15108695088\n"}, {false}},
      {"<html><head><meta name=\"description\" content=\"f&oslash;dselsnummer 15108695088\"></head><body><p>Hei</p></body></html>",
       "Hei\n", {"f\xC3\xB8" "dselsnummer 15108695088\n"}, {true}},  // a <meta>'s content: labelled findings only (review21a)
      {"<html><script>var fnr=\"15108695088\"; // f&oslash;dselsnummer</script><body><p>Hei</p></body></html>", "Hei\n",
       {"var fnr=\"15108695088\"; // f&oslash;dselsnummer\n"}, {true}},  // raw: no entity decoded
      {"<html><style>/* f\xC3\xB8" "dselsnummer 15108695088 */</style><body><p>Hei</p></body></html>", "Hei\n",
       {"/* f\xC3\xB8" "dselsnummer 15108695088 */\n"}, {true}},
      {"<p>Hei</p><script type=\"application/ld+json\">{\"fnr\": \"15108695088\"}</script><p>igjen</p>",
       "Hei\nigjen\n", {"{\"fnr\": \"15108695088\"}\n"}, {true}},
      // attributes of head elements and scripts, each on its own; a script without a number stays out
      {"<head><link rel=\"x\" href=\"/a?fnr=15108695088\"><script src=\"/s.js?id=15108695088\"></script>"
       "<script>var a = 1;</script></head><p>x</p>",
       "x\n", {"/a?fnr=15108695088\n", "/s.js?id=15108695088\n"}, {false, false}},
      {"<head><title>a</title><title>b</title></head><p>x</p>", "x\n", {"a\n", "b\n"}, {false, false}},
  };
  for (const Case& c : cases) {
    INFO(c.html);
    for (bool fast : {true, false}) {
      Decoded d = fast ? HtmlToText(c.html) : HtmlToTextGumbo(c.html);
      INFO(fast);
      REQUIRE(d.separate.size() == c.docs.size());
      CHECK(d.bytes.substr(0, d.separate[0].begin) == c.visible);
      for (size_t i = 0; i < c.docs.size(); ++i) {
        CHECK(d.bytes.substr(d.separate[i].begin, d.separate[i].end - d.separate[i].begin) == c.docs[i]);
        CHECK(d.separate[i].code == c.code[i]);
      }
      // The number maps back to its own bytes in the HTML.
      std::string_view html = c.html;
      size_t at = d.bytes.find("15108695088");
      if (at != std::string::npos) {
        ByteRange r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&d.map});
        CHECK(html.substr(r.start, r.end - r.start) == "15108695088");
      }
    }
  }
  // A template's content is one document, read like the body (Gumbo only).
  Decoded t = HtmlToText("<p>a</p><template><div>fnr</div><div>15108695088</div></template>");
  REQUIRE(t.separate.size() == 1);
  CHECK(t.bytes.substr(t.separate[0].begin) == "fnr\n15108695088\n");
  CHECK_FALSE(t.separate[0].code);
  // The linear fallback for deep nesting reads script and style text too.
  std::string deep;
  for (int i = 0; i < 2100; ++i) deep += "<span>";
  deep += "<p>Hei</p><script>var fnr = '15108695088';</script><style>p{}</style>";
  Decoded f = HtmlToText(deep);
  size_t at;
  ByteRange r;
  CHECK_FALSE(f.notes.empty());
  REQUIRE(f.separate.size() == 1);
  CHECK(f.bytes.substr(f.separate[0].begin) == "var fnr = '15108695088';\n");
  CHECK(f.separate[0].code);
  at = f.bytes.find("15108695088");
  r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&f.map});
  CHECK(deep.substr(r.start, r.end - r.start) == "15108695088");
  // Entities in the title decode, each mapping to its own bytes.
  std::string title = "<title>fnr &#49;5108695088</title><p>x</p>";
  Decoded d = HtmlToText(title);
  at = d.bytes.find("15108695088");
  REQUIRE(at != std::string::npos);
  r = MapBack({static_cast<uint32_t>(at), static_cast<uint32_t>(at + 11)}, {&d.map});
  CHECK(title.substr(r.start, r.end - r.start) == "&#49;5108695088");
}

// html21: the fast path's separate documents equal Gumbo's (text, code flag
// and where each id maps back to) over random documents assembled from the
// pieces the fast path treats specially.
TEST_CASE("html: separate documents of the fast path equal Gumbo's on random documents", "[html][html21]") {
  const std::string id = "15108695088";
  const std::vector<std::string> head = {
      "<title>Fnr " + id + "</title>", "<TITLE>  </TITLE>", "<title>a &amp; b &#49;5108695088</title>",
      "<title></title>", "<meta name=\"description\" content=\"fnr " + id + "\">",
      "<meta content='x 123456 y' name=a>", "<meta charset=\"utf-8\">", "<META CONTENT=\"id=" + id + "\">",
      "<link rel=\"x\" href=\"/a.css?v=1733390000000\">", "<base href=\"http://x/?q=123456\">",
      "<script>var a = \"" + id + "\"; if (a < b) {}</script>",
      "<script type=\"application/json\">{\"fnr\":\"" + id + "\"}</script>",
      "<script><!-- var x = 1234567; --></script>", "<script>x=\"</scr\"+\"ipt>\"; y=1234567</script>",
      "<style>.a{width:123456px}</style>", "<STYLE type=\"text/css\">/* fnr " + id + " */</STYLE>",
      "<!-- 1234567 -->", "<noscript><link href=\"/p?id=1234567\"></noscript>",
      "<script src=\"/s.js?id=1234567\"></script>", "<title a=\"1234567\">t</title>", "<style>\n</style>",
      "<script></script>", "\n  "};
  const std::vector<std::string> body = {
      "<p>Hei " + id + "</p>", "<p>fnr:</p>", "<div>x</div>", "<script>var b = 7654321;</script>",
      "<style>p{margin:1234567px}</style>", "<template><p>fnr " + id + "</p><script>y=1234567</script></template>",
      "<noscript>fnr " + id + "</noscript>", "<textarea>fnr " + id + "</textarea>", "<meta content=\"z " + id + "\">",
      "<title>in body " + id + "</title>", "<img alt=\"fnr " + id + "\">", "<!-- c 1234567 -->",
      "<table><tr><td>a</td><td>" + id + "</td></tr></table>", "<br>", "text &amp; 1234567 ",
      "<span style=\"display:none\">fnr " + id + "</span>", "<noframes>f 1234567</noframes>", "<b>bold</b>"};
  std::mt19937 rng(21);
  auto pick = [&](const std::vector<std::string>& v, int max) {
    std::string s;
    for (int k = static_cast<int>(rng() % (max + 1)); k > 0; --k) s += v[rng() % v.size()];
    return s;
  };
  size_t with_docs = 0;
  for (int i = 0; i < 2000; ++i) {
    const std::string h = pick(head, 6), b = pick(body, 6);
    std::string doc;
    switch (rng() % 4) {
      case 0: doc = "<html><head>" + h + "</head><body>" + b + "</body></html>"; break;
      case 1: doc = "<!DOCTYPE html><html>" + h + "<body>" + b + "</body></html>"; break;
      case 2: doc = h + b; break;
      default: doc = "<head>" + h + "</head>" + b; break;
    }
    Decoded f = HtmlToText(doc), g = HtmlToTextGumbo(doc);
    INFO(doc);
    REQUIRE(f.separate.size() == g.separate.size());
    with_docs += !f.separate.empty();
    for (size_t k = 0; k < f.separate.size(); ++k) {
      const std::string_view fb = std::string_view(f.bytes).substr(f.separate[k].begin, f.separate[k].end - f.separate[k].begin);
      const std::string_view gb = std::string_view(g.bytes).substr(g.separate[k].begin, g.separate[k].end - g.separate[k].begin);
      CHECK(fb == gb);
      CHECK(f.separate[k].code == g.separate[k].code);
      for (size_t p = fb.find(id); p != std::string_view::npos; p = fb.find(id, p + 1))
        CHECK(f.map.Start(f.separate[k].begin + static_cast<uint32_t>(p)) ==
              g.map.Start(g.separate[k].begin + static_cast<uint32_t>(p)));
    }
  }
  CHECK(with_docs > 1500);
}
