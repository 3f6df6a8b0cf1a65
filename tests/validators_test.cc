// SPDX-License-Identifier: Apache-2.0
// Validators, driven by the verified examples of docs/identifiers.md (tests/data/spec_examples.json).
#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>

#include "detect/plugin_registry.h"
#include "test_util.h"

using nordpii::test::ReadFile;
using nordpii::test::SourceDir;

namespace {

struct Call {
  int status;
  std::string type;
  unsigned rules;
};

Call Validate(const std::string& validator, std::string value, int ref_year = 2026) {
  static auto reg = *nordpii::PluginRegistry::Create({});
  const nordpii_validator* v = reg->Find(validator);
  REQUIRE(v != nullptr);
  // Compact form, as the candidate builder produces it: drop written
  // separators, keep '+' as a flag (SE) and the HETU sign.
  uint32_t flags = 0;
  std::string compact;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (validator == "fi_hetu") { compact.push_back(c); continue; }
    if (c == '+') { flags |= NORDPII_INPUT_PLUS_SEPARATOR; continue; }
    if (c == ' ' || c == '-' || c == '.') continue;
    compact.push_back(c);
  }
  if (validator == "iban") flags |= NORDPII_INPUT_COUNTRY_PREFIX;
  nordpii_input in{sizeof(nordpii_input), compact.data(), compact.size(), ref_year, 11, 23, flags};
  nordpii_verdict out;
  std::memset(&out, 0, sizeof(out));
  out.struct_size = sizeof(out);
  REQUIRE(v->validate(&in, &out) == 0);
  return {out.status, out.type_id, out.rules};
}

std::string StripPrefix(std::string v, const char* p) {
  if (v.rfind(p, 0) == 0) v = v.substr(std::strlen(p));
  return v;
}

}  // namespace

TEST_CASE("every verified example in examples.json gets the spec verdict", "[validators]") {
  auto j = nlohmann::json::parse(ReadFile(SourceDir() + "/tests/data/spec_examples.json"));
  const std::map<std::string, std::string> kValidator = {
      {"no_fodselsnummer", "no_person"}, {"no_fodselsnummer_2032_rule_only", "no_person"},
      {"no_d_nummer", "no_person"},      {"no_h_nummer_or_nav_synthetic", "no_person"},
      {"no_fh_nummer", "no_person"},     {"no_synthetic_tenor", "no_person"},
      {"no_person", "no_person"},        {"no_orgnr", "no_orgnr"},
      {"no_kontonr", "no_account"},      {"se_personnummer", "se_person"},
      {"se_samordningsnummer", "se_person"}, {"se_interim_number", "se_person"},
      {"se_orgnr", "se_orgnr"},          {"dk_cpr", "dk_cpr"},
      {"dk_cvr", "dk_cvr"},              {"fi_hetu", "fi_hetu"},
      {"fi_hetu_temporary", "fi_hetu"},  {"fi_ytunnus", "fi_ytunnus"},
      {"is_kt", "is_kt"},                {"is_kerfiskennitala", "is_kt"},
      {"iban", "iban"},                  {"card", "card"}};
  int checked = 0;
  for (auto& [type, body] : j["types"].items()) {
    auto it = kValidator.find(type);
    if (it == kValidator.end()) continue;  // KID, DUF, VAT, giro, phone, MRZ: not issue-2 types
    for (const char* verdict : {"valid", "invalid", "valid_only_without_checksum"}) {
      if (!body.contains(verdict)) continue;
      for (auto& ex : body[verdict]) {
        std::string value = ex["value"];
        value = StripPrefix(StripPrefix(value, "DK "), "FI ");
        INFO(type << " " << verdict << " " << value);
        Call c = Validate(it->second, value);
        if (std::string(verdict) == "invalid") {
          CHECK(c.status == NORDPII_INVALID);
        } else {
          CHECK(c.status != NORDPII_INVALID);
        }
        ++checked;
      }
    }
  }
  CHECK(checked > 120);
}

TEST_CASE("Norwegian kinds, 2032 rule and Tenor test numbers are classified", "[validators]") {
  CHECK(Validate("no_person", "15108695088").type == "no.fnr");
  CHECK(Validate("no_person", "41010199946").type == "no.dnr");
  CHECK(Validate("no_person", "01410199935").type == "no.hnr");
  Call tenor = Validate("no_person", "15898695015");
  CHECK(tenor.type == "no.fnr");
  CHECK((tenor.rules & NORDPII_RULE_TEST) != 0);
  Call r2032 = Validate("no_person", "30108299939");
  CHECK(r2032.status == NORDPII_VALID);
  CHECK((r2032.rules & NORDPII_RULE_RULE_2032) != 0);
  CHECK((Validate("no_person", "15108695088").rules & NORDPII_RULE_RULE_2032) == 0);
}

TEST_CASE("Swedish century follows the + separator and samordningsnummer are typed", "[validators]") {
  CHECK(Validate("se_person", "900101+9802").status == NORDPII_VALID);
  CHECK(Validate("se_person", "900778-2395").type == "se.snr");
  CHECK(Validate("se_person", "880320-0016").type == "se.pnr");
  // 12-digit form born after the reference year is not a person yet.
  CHECK(Validate("se_person", "203001019802", 2026).status == NORDPII_INVALID);
}

TEST_CASE("DK CPR without modulus 11 needs context and HETU temporary ids are marked", "[validators]") {
  Call cpr = Validate("dk_cpr", "010165-4321");
  CHECK(cpr.status == NORDPII_PLAUSIBLE);
  CHECK((cpr.rules & NORDPII_RULE_NEEDS_CONTEXT) != 0);
  CHECK((Validate("dk_cpr", "211062-5629").rules & NORDPII_RULE_CHECKSUM) != 0);
  CHECK((Validate("fi_hetu", "010107A9231").rules & NORDPII_RULE_TEMPORARY) != 0);
  CHECK(Validate("fi_hetu", "131052a308t").status == NORDPII_VALID);
  CHECK(Validate("is_kt", "450401-3150").type == "is.kt_org");
}
