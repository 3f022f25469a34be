"""The console's messages in Chinese, keyed by their English text (console/i18n.py; a test checks that every
message the console uses is here with the same fields, and that nothing here is unused)."""

from __future__ import annotations

ZH: dict[str, str] = {
    # ---- messages ----
    "a correction needs --reason TEXT":
        "更正须给出 --reason 理由",
    "flags":
        "记录",
    "{rows} rows checked, nothing stored (--check): {created} would be created, {corrected} would be corrected, {unchanged} would be unchanged, {rejected} would be rejected":
        "共 {rows} 行，仅检查未保存（--check）：将新增 {created}，将更正 {corrected}，将不变 {unchanged}，将退回 {rejected}",
    "{rows} rows: {created} created, {corrected} corrected, {unchanged} unchanged, {rejected} rejected":
        "共 {rows} 行：新增 {created}，更正 {corrected}，不变 {unchanged}，退回 {rejected}",
    "a retraction needs --reason TEXT":
        "撤回须给出 --reason 理由",
    "{reference} retracted (version {version})":
        "{reference} 已撤回（第 {version} 版）",
    "{reference} was already retracted (version {version})":
        "{reference} 此前已撤回（第 {version} 版）",
    "{role} flags ({n})":
        "{role}的记录（{n} 条）",
    "reference":
        "文号",
    "v":
        "版本",
    "status":
        "状态",
    "kind":
        "类型",
    "level":
        "等级",
    "decided_on":
        "决定日期",
    "end_date":
        "结束日期",
    "name":
        "姓名",
    "id_number":
        "身份证号",
    "in force":
        "有效",
    "corrected":
        "已更正",
    "retracted":
        "已撤回",
    "--as {role}: flags are an agency's; agencies: {agencies}":
        "--as {role}：记录由成员单位报送；成员单位：{agencies}",
    "--out {out}: a template is an .xlsx workbook":
        "--out {out}：模板是 .xlsx 工作簿",
    "no ruleset {name!r}; rulesets: {names}":
        "没有规则版本 {name!r}；现有：{names}",
    "--out {out}: cannot write ({why})":
        "--out {out}：无法写入（{why}）",
    " for {agency}":
        "（{agency}）",
    "wrote {out}: {what} template{whose} ({columns} columns, drop-downs from the sheet 可选值, one example row; ruleset {ruleset})":
        "已生成 {out}：{what}模板{whose}（{columns} 列，下拉选项见“可选值”表，含一行示例；规则版本 {ruleset}）",
    "candidates":
        "候选人",
    "sheet {sheet!r}":
        "工作表 {sheet!r}",
    "header in row {row} (the rows above it are taken as a title)":
        "表头在第 {row} 行（其上各行视为标题）",
    "the template's example row skipped":
        "已跳过模板的示例行",
    "{n} footer row(s) skipped (填表人/审核人...)":
        "已跳过 {n} 行表尾（填表人/审核人等）",
    "; ":
        "；",
    "warning: {path}: column(s) not read: {columns}":
        "提示：{path}：以下列未读取：{columns}",
    "rejected {what} {key}: [{code}] {message}":
        "退回{what} {key}：[{code}] {message}",
    "(no key)":
        "（无标识）",
    "flag":
        "记录",
    "candidate":
        "候选人",
    "{n} rejected row(s) written to {out}, each with its {column}: fix them there and send that file":
        "已把 {n} 行被退回的行写入 {out}，每行附{column}：请在其中改正后重新报送该文件",
    "--rejected {out}: write FILE.xlsx or FILE.csv":
        "--rejected {out}：请写成 FILE.xlsx 或 FILE.csv",
    "--rejected {out}: cannot write ({why})":
        "--rejected {out}：无法写入（{why}）",
    "say which role you act as: --as ROLE (or ELIGIBILITY_AS); roles: ":
        "请说明以哪个角色操作：--as 角色（或 ELIGIBILITY_AS）；角色：",
    "unknown role {role!r}; roles: {roles}":
        "没有角色 {role!r}；角色：{roles}",
    "error: {message}":
        "错误：{message}",
    "error: cannot reach the server ({details}); is `eligibility serve` running, and at the address the home names? `eligibility doctor` checks the home and the server":
        "错误：连不上服务（{details}）；`eligibility serve` 是否在运行，地址是否与主目录配置一致？`eligibility doctor` 可检查主目录和服务",
    "error: {code}: {details}":
        "错误：{code}：{details}",
    "checked, nothing created (--check): round \"{name}\" as of {as_of} ({ruleset}) would have {valid} candidates":
        "仅检查，未创建（--check）：批次“{name}”（基准日 {as_of}，规则 {ruleset}）将有 {valid} 名候选人",
    "; {n} row(s) would be rejected":
        "；将退回 {n} 行",
    "round {round} \"{name}\" as of {as_of} ({ruleset}): {n} candidates":
        "批次 {round}“{name}”（基准日 {as_of}，规则 {ruleset}）：{n} 名候选人",
    ", {n} rows rejected":
        "，退回 {n} 行",
    "add the fixed rows with: eligibility round add {round} --candidates FIXED-FILE":
        "改正后用此命令追加：eligibility round add {round} --candidates 改正后的文件",
    "round {round} \"{name}\": ":
        "批次 {round}“{name}”：",
    "{n} candidates would be added (--check, nothing stored)":
        "将追加 {n} 名候选人（--check，未保存）",
    "{n} candidates added, {all} in all":
        "已追加 {n} 名候选人，共 {all} 名",
    "; {n} rows rejected":
        "；退回 {n} 行",
    "{round} \"{name}\" as of {as_of}, ruleset {ruleset}, {n} candidates":
        "{round}“{name}”，基准日 {as_of}，规则 {ruleset}，{n} 名候选人",
    " at {time}":
        "（{time}）",
    "  state: {state}; last screened: {last}; changed since their decision: {n} candidate(s)":
        "  状态：{state}；最近审查：{last}；结论之后有变化：{n} 人",
    "never":
        "从未",
    "  attested by {agency} at {time}":
        "  {agency} 已确认（{time}）",
    "  not attested: {agencies}":
        "  尚未确认：{agencies}",
    "open":
        "进行中",
    "screened":
        "已筛查",
    "concluded":
        "已审定",
    "{id}  {name}  {township} {village}  {agency} {entry}: {what}  at {at} (entry {leaf}), after decision {decision}":
        "{id}  {name}  {township} {village}  {agency} {entry}：{what}  于 {at}（日志第 {leaf} 条），在结论 {decision} 之后",
    "following round {round} (Ctrl-C to stop)":
        "正在关注批次 {round}（按 Ctrl-C 停止）",
    "round {round} has not been screened yet: run `round screen {round}` first":
        "批次 {round} 尚未审查：请先运行 `round screen {round}`",
    "{n} candidate(s) changed since their latest decision":
        "最新结论之后有变化的候选人：{n} 名",
    ": `round screen {round} --changed` screens only them":
        "；`round screen {round} --changed` 只审查他们",
    "round {round} concluded at {time} (log entry {leaf}; checkpoint of {size} entries signed, root {root}...)":
        "批次 {round} 已于 {time} 审定（日志第 {leaf} 条；已签名 {size} 条的检查点，根 {root}...）",
    "round {round} cannot be concluded yet ({n} blocker(s)):":
        "批次 {round} 暂不能审定（{n} 项阻碍）：",
    "{agency} attested round {round} at {time}":
        "{agency} 已确认批次 {round}（{time}）",
    "{agency} had already attested round {round} at {time}":
        "{agency} 此前已确认批次 {round}（{time}）",
    "screening":
        "审查",
    "no candidate of round {round} changed since their latest decision: nothing screened":
        "批次 {round} 的候选人在最新结论之后均无变化：未审查",
    "round {round}: {{n}} candidates":
        "批次 {round}：{{n}} 名候选人",
    "round {round}: {{n}} candidates (as recorded)":
        "批次 {round}：{{n}} 名候选人（已记录的结论）",
    "no candidate matches":
        "没有符合条件的候选人",
    "--out must end in .xlsx, .pdf, .html or .csv":
        "--out 须以 .xlsx、.pdf、.html 或 .csv 结尾",
    "--per-candidate pages are a PDF's: write FILE.pdf":
        "--per-candidate 的个人页只用于 PDF：请写成 FILE.pdf",
    "report rows":
        "报表行",
    "wrote {out} ({n} candidates, {lang})":
        "已生成 {out}（{n} 名候选人，{lang}）",
    "say who and when: --round ROUND (a candidate of it), or --name NAME and --as-of YYYY-MM-DD for a person checked on their own":
        "请说明核查谁、以哪天为准：--round 批次（其中的候选人），或单独核查一人时给出 --name 姓名 和 --as-of YYYY-MM-DD",
    "{round}  {as_of}  {state:<9}  {n:>6} candidates  attested {attested}/{agencies}  {name}":
        "{round}  {as_of}  {state:<6}  {n:>6} 名候选人  已确认 {attested}/{agencies}  {name}",
    "earlier resolution void: {why}":
        "此前的核实意见已失效：{why}",
    "REVIEW (not resolvable)":
        "待核实（不可核实）",
    "REVIEW":
        "待核实",
    "PASS":
        "通过",
    "FAIL":
        "不通过",
    "PENDING":
        "未反馈",
    "    cannot be resolved: {why}":
        "    不可核实：{why}",
    "no REVIEW verdicts of {agency} in round {round}":
        "批次 {round} 中没有 {agency} 的待核实意见",
    " (--all also lists those resolved)":
        "（--all 也列出已核实的）",
    "{agency} resolved {name} {id} in round {round}: {outcome} (on decision {decision}, log entry {leaf})":
        "{agency} 已核实批次 {round} 的 {name} {id}：{outcome}（针对结论 {decision}，日志第 {leaf} 条）",
    "new decision {decision}: {agency} {verdict}, overall {overall}":
        "新结论 {decision}：{agency} {verdict}，联审结论 {overall}",
    "ELIGIBLE":
        "符合",
    "INELIGIBLE":
        "不符合",
    "NEEDS_REVIEW":
        "待核实",
    "waiting for {agencies}":
        "等待 {agencies} 答复",
    "answered: `appeal decide` screens again":
        "已答复：`appeal decide` 重新审查",
    "{appeal}  round {round}  {name} {id}  opened {opened}  against decision {decision}  contests {agencies}  ({state})":
        "{appeal}  批次 {round}  {name} {id}  {opened} 提出  针对结论 {decision}  复核 {agencies}  （{state}）",
    "    reason: {reason}":
        "    理由：{reason}",
    "UPHOLD":
        "维持",
    "REVISE":
        "改正",
    "appeal {appeal} opened for {name} {id} in round {round} against decision {decision} (log entry {leaf})":
        "已为批次 {round} 的 {name} {id} 登记复核申请 {appeal}，针对结论 {decision}（日志第 {leaf} 条）",
    "it contests the verdicts of: {agencies}; each answers with `appeal answer {appeal} --uphold|--revise --opinion TEXT`":
        "申请复核的单位：{agencies}；各单位用 `appeal answer {appeal} --uphold|--revise --opinion 意见` 答复",
    "no appeals":
        "没有复核申请",
    " in round {round}":
        "（批次 {round}）",
    " contesting your verdicts":
        "（针对本单位意见的）",
    "{agency} answered appeal {appeal}: {answer}":
        "{agency} 已答复复核申请 {appeal}：{answer}",
    "appeal {appeal} decided: decision {decision} replaces {old} for {name} {id}: overall {overall} ({verdicts})":
        "复核申请 {appeal} 已决定：{name} {id} 的结论 {decision} 取代 {old}：联审结论 {overall}（{verdicts}）",
    "the conclusion of round {round} is amended (log entry {leaf})":
        "批次 {round} 的审定结论已修正（日志第 {leaf} 条）",
    "decided by decision {decision}":
        "已由结论 {decision} 决定",
    "initialised {home}: config.toml, keys/, credentials/ for {roles}":
        "已初始化 {home}：config.toml、keys/、credentials/（角色：{roles}）",
    "note   ":
        "提示 ",
    "ok     ":
        "正常 ",
    "PROBLEM":
        "问题 ",
    "everything looks right":
        "一切正常",
    "{n} problem(s) found":
        "发现 {n} 个问题",
    "wrote {files}; hand these to the {role} office":
        "已写出 {files}；请交给 {role} 单位",
    "; the certificate it replaces ({serials}) is revoked":
        "；被替换的证书（{serials}）已吊销",
    "; the previous certificate stays valid until `credentials revoke {role} --serial S`":
        "；原证书在 `credentials revoke {role} --serial S` 之前仍有效",
    "issued certificate {serial} for {role} in {dir}, valid {days} days (the server accepts it at once; its plaintext-mode token was replaced too)":
        "已为 {role} 签发证书 {serial}，存放于 {dir}，有效期 {days} 天（服务立即认可；其明文模式令牌也已更换）",
    "warning: this home has no record of issuing certificate {serial} (issued before it kept one, or mistyped?); it is on the revocation list now: check the serial against the certificate":
        "提示：本主目录没有签发证书 {serial} 的记录（可能签发于开始记录之前，或序列号输错）；它现已列入吊销名单：请核对证书的序列号",
    "nothing to revoke: that certificate was revoked already (`eligibility credentials list` shows when)":
        "无需吊销：该证书此前已吊销（`eligibility credentials list` 可查时间）",
    "nothing to revoke: every certificate of {role} is revoked already (`eligibility credentials list` shows when)":
        "无需吊销：{role} 的证书此前均已吊销（`eligibility credentials list` 可查时间）",
    " and the plaintext-mode token":
        "及明文模式令牌",
    "role":
        "角色",
    "serial":
        "序列号",
    "issued":
        "签发",
    "expires":
        "到期",
    "state":
        "状态",
    "revoked {date}":
        "已吊销 {date}",
    ", current":
        "，当前",
    "valid":
        "有效",
    "expired":
        "已过期",
    "revoked":
        "已吊销",
    "address the server will listen on (default {address})":
        "服务的监听地址（默认 {address}）",
    "  supersedes {decision}":
        "  取代 {decision}",
    "no decision recorded for that candidate of round {round}":
        "批次 {round} 中该候选人没有已记录的结论",
    "no decision recorded for round {round}":
        "批次 {round} 没有已记录的结论",
    "give a DECISION id or --round ROUND":
        "请给出结论编号，或 --round 批次",
    "replay":
        "重放",
    "MATCH":
        "一致",
    "MISMATCH":
        "不一致",
    "replayed {n} decisions of round {round}: {match} MATCH, {mismatch} MISMATCH":
        "已重放批次 {round} 的 {n} 个结论：一致 {match}，不一致 {mismatch}",
    "checkpoint: {size} entries, root {root} (signed {at})":
        "检查点：{size} 条，根 {root}（签名于 {at}）",
    "; kept in {out}":
        "；已保存到 {out}",
    "decision {decision} is entry {leaf} of {size}; audit path of {n} hashes {verdict} against the signed root {root}...":
        "结论 {decision} 是日志 {size} 条中的第 {leaf} 条；{n} 个哈希的审计路径对签名根 {root}... {verdict}",
    "VERIFIES":
        "校验通过",
    "DOES NOT VERIFY":
        "校验不通过",
    "its result (named by hash {hash}...) is entry {leaf}, proven in the same tree: {verdict}":
        "其结果（哈希 {hash}...）是第 {leaf} 条，在同一棵树中证明：{verdict}",
    "exported {n} entries and {cps} checkpoints to {out}; verify with: eligibility audit verify {out} --public-key KEYFILE":
        "已导出 {n} 条日志和 {cps} 个检查点到 {out}；校验：eligibility audit verify {out} --public-key 公钥文件",
    "NOTE":
        "提示",
    "{entries} entries, {cps} checkpoints":
        "日志 {entries} 条，检查点 {cps} 个",
    ", extending {n} trusted checkpoint(s)":
        "，是 {n} 个可信检查点的延续",
    ", {replayed} of {decisions} decisions replayed from the log alone":
        "，仅凭日志重放了 {decisions} 个结论中的 {replayed} 个",
    " ({n} holding verdicts for tables that differ from the log)":
        "（{n} 个因数据表与日志不一致而暂缓的意见）",
    ": ":
        "：",
    "everything verifies":
        "全部校验通过",
    "{n} problem(s)":
        "{n} 个问题",
    "note: the public key was taken from the export itself; pass --public-key with a copy you trust to rule out a re-signed log":
        "提示：公钥取自导出文件本身；用 --public-key 给出您信任的副本，才能排除日志被重新签名",
    "{rows} rows, {decisions} decisions: ":
        "{rows} 行，{decisions} 个结论：",
    "the tables say exactly what the log says":
        "数据表与日志完全一致",
    "{n} candidate(s) would change":
        "{n} 名候选人的结论会改变",
    "ok   {ruleset}  {rules} rules, {profile} profile checks, {cases} golden cases  ({path})":
        "正常 {ruleset}  {rules} 条规则，{profile} 项资格条件，{cases} 个样例  （{path}）",
    "{fail} {ruleset}: coverage: {problem}":
        "{fail} {ruleset}：覆盖：{problem}",
    "{ruleset}: {n} cases":
        "{ruleset}：{n} 个样例",
    "{passed} of {total} golden cases passed; {failed} failure(s)":
        "{total} 个样例中 {passed} 个通过；{failed} 个失败",
    "(its code only)":
        "（只能写代码）",
    "no rule {rule!r} in ruleset {ruleset}":
        "规则版本 {ruleset} 中没有规则 {rule!r}",
    "{rule}  [{agency}] kind {kind}  effect {effect}":
        "{rule}  [{agency}] 类型 {kind}  效力 {effect}",
    "  citation: {citation}":
        "  依据：{citation}",
    "  window: {window}":
        "  影响期：{window}",
    "  effective {start} .. {end}":
        "  施行 {start} 至 {end}",
    "(no end)":
        "（无截止）",
    "  类型 may be written: {words}":
        "  类型可写作：{words}",
    "  等级 may be written: {words}":
        "  等级可写作：{words}",
    "  ruleset {hash}":
        "  规则版本 {hash}",
    "levels of {kind}":
        "{kind} 的等级",
    "{name}@{hash}  v{version}  {rules} rules":
        "{name}@{hash}  第 {version} 版  {rules} 条规则",
    "  (default)":
        "  （默认）",
    "{n} ELIGIBLE candidate(s) not listed; --all lists every row":
        "另有 {n} 名符合条件的候选人未列出；加 --all 列出全部",
    "keys":
        "密钥",
    "file modes":
        "文件权限",
    "certificates":
        "证书",
    "database":
        "数据库",
    "disk space":
        "磁盘空间",
    "rulesets":
        "规则",
    "decision log":
        "结论日志",
    "tables":
        "数据表",
    "config: {file} reads (listen {listen}, transport {transport})":
        "配置：{file} 可读（监听 {listen}，传输 {transport}）",
    "config: {problem}":
        "配置：{problem}",
    "{file} is missing":
        "缺少 {file}",
    "{file} is readable by other users; run chmod 600 {file}":
        "{file} 可被其他用户读取；请运行 chmod 600 {file}",
    "ID-number keys and the log signing key are present, private (0600) and well-formed":
        "身份证号密钥和日志签名密钥齐全、仅属主可读（0600）、格式正确",
    "{file} is not the key this database was made with; restore the home's own key file":
        "{file} 不是建库时用的密钥；请恢复本主目录自己的密钥文件",
    "ID-number keys and the log signing key are present, private (0600), well-formed and the ones the database was made with":
        "身份证号密钥和日志签名密钥齐全、仅属主可读（0600）、格式正确，且正是建库时所用",
    " (not yet recorded: {keys}; the next start records them)":
        "（尚未登记：{keys}；下次启动时登记）",
    "readable by other users: {files}; run chmod 700 on the home and chmod 600 on the database files":
        "可被其他用户读取：{files}；请对主目录运行 chmod 700、对数据库文件运行 chmod 600",
    "the home ({home}) and its database files are private to their owner":
        "主目录（{home}）及其数据库文件仅属主可访问",
    "the server certificate expires in {days} days; re-run init on a new home or reissue":
        "服务器证书 {days} 天后到期；请在新主目录重新 init 或重新签发",
    "{role} has no credential (eligibility credentials issue {role})":
        "{role} 没有凭据（eligibility credentials issue {role}）",
    "{role}'s certificate is revoked (eligibility credentials issue {role})":
        "{role} 的证书已吊销（eligibility credentials issue {role}）",
    "{role}'s certificate expires within 30 days":
        "{role} 的证书 30 天内到期",
    "CA, server certificate ({days} days left) and {n} role credentials are valid":
        "CA、服务器证书（剩余 {days} 天）和 {n} 个角色凭据均有效",
    "PostgreSQL {path} answers, {n} decisions":
        "PostgreSQL {path} 可用，{n} 个结论",
    "no database yet (it is created when the server first starts)":
        "尚无数据库（服务首次启动时创建）",
    "SQLite integrity check failed; restore from a backup":
        "SQLite 完整性检查失败；请从备份恢复",
    "tables missing: {tables}":
        "缺少数据表：{tables}",
    "{name} is intact (journal {mode}), {n} decisions":
        "{name} 完好（日志模式 {mode}），{n} 个结论",
    "only {free:,.0f} MB free on the disk of {where} (the database is {size:,.0f} MB); free space before the next screening: a full disk refuses every write":
        "{where} 所在磁盘仅剩 {free:,.0f} MB（数据库 {size:,.0f} MB）；请在下次审查前腾出空间：磁盘写满后一切写入都会被拒绝",
    "{free:,.0f} MB free on the disk of {where} ({share:.0%})":
        "{where} 所在磁盘剩余 {free:,.0f} MB（{share:.0%}）",
    "the default ruleset {name} is not under {dirs}":
        "默认规则版本 {name} 不在 {dirs} 中",
    "golden cases fail: {cases}":
        "规则样例未通过：{cases}",
    "{names} load and pass their golden cases":
        "{names} 可加载且规则样例全部通过",
    "no log yet":
        "尚无日志",
    "the decision log does not verify: {problems}":
        "结论日志校验不通过：{problems}",
    " (the newest entries are not signed yet: the next screening or `audit checkpoint` signs them)":
        "（最新的条目尚未签名：下次审查或 `audit checkpoint` 时签名）",
    "{entries} entries and {cps} checkpoints verify":
        "{entries} 条日志和 {cps} 个检查点校验通过",
    "no tables yet":
        "尚无数据表",
    " (and {n} more: eligibility audit check-store)":
        "（另有 {n} 处：eligibility audit check-store）",
    "the tables say what the log does not: {problems}":
        "数据表与日志不一致：{problems}",
    "{rows} rows and {decisions} decisions say exactly what the log says":
        "{rows} 行和 {decisions} 个结论与日志完全一致",
    "server: not asked (no credential under {dir})":
        "服务：未询问（{dir} 下没有凭据）",
    "server: nothing answers at {address} ({code}); if it should be running, start it with `eligibility --home {home} serve` and look at {log}":
        "服务：{address} 无应答（{code}）；如应在运行，请用 `eligibility --home {home} serve` 启动并查看 {log}",
    "server at {address} refused the health check: {code}: {details}":
        "{address} 的服务拒绝了健康检查：{code}：{details}",
    "server: cannot ask {address}: {problem}":
        "服务：无法询问 {address}：{problem}",
    "server at {address} says {status}":
        "{address} 的服务状态为 {status}",
    "server at {address} is SERVING (answered the health check in {ms:.0f} ms)":
        "{address} 的服务正常运行（健康检查 {ms:.0f} 毫秒内应答）",
    "revoked certificates {serials}{token} of {role} (the server refuses them from the next call); issue a new one with `eligibility credentials issue {role}`":
        "已吊销 {role} 的证书 {serials}{token}（服务从下一次调用起拒绝）；用 `eligibility credentials issue {role}` 签发新证书",
    "revoked certificate {serials}{token} of {role} (the server refuses them from the next call); issue a new one with `eligibility credentials issue {role}`":
        "已吊销 {role} 的证书 {serials}{token}（服务从下一次调用起拒绝）；用 `eligibility credentials issue {role}` 签发新证书",
    "--listen {listen}: the console listens on this machine's loopback only (127.0.0.1:PORT): it acts with your credential":
        "--listen {listen}：控制台只在本机回环地址（127.0.0.1:端口）上监听：它以您的凭据操作",
    "--listen {listen}: cannot listen there ({why})":
        "--listen {listen}：无法在此监听（{why}）",
    "console for {role}: {url}  (Ctrl-C to stop; the address carries this launch's token: keep it to yourself)":
        "{role} 的控制台：{url}（按 Ctrl-C 停止；该地址含本次启动的口令，请勿外传）",
    "the browser console for your role, on this machine only":
        "本角色的浏览器控制台（仅限本机）",
    "127.0.0.1:PORT (default: a free port)":
        "127.0.0.1:端口（默认：任一空闲端口）",
    "print the address, do not open a browser":
        "只显示地址，不打开浏览器",
    "district office":
        "区联审办",
    "auditor":
        "审计",
    "Joint qualification review":
        "资格联审",
    "acting as {role}":
        "当前身份：{role}",
    "Rounds":
        "批次",
    "No round yet.":
        "还没有批次。",
    "Round":
        "批次",
    "Candidates":
        "候选人",
    "Attested":
        "已确认",
    "Not attested":
        "尚未确认",
    "{n} changed since their decision":
        "{n} 人在结论之后有变化",
    "Not screened yet.":
        "尚未审查。",
    "all":
        "全部",
    "Not passed by":
        "未通过的单位",
    "any":
        "任一",
    "Filter":
        "筛选",
    "{matching} of {total} candidates":
        "共 {total} 名候选人，符合筛选条件 {matching} 名",
    "previous":
        "上一页",
    "page {number} of {pages}":
        "第 {number} 页，共 {pages} 页",
    "next":
        "下一页",
    "Agency":
        "单位",
    "Verdict":
        "意见",
    "Why":
        "理由",
    "The server refused":
        "服务拒绝了请求",
    "Back to the rounds":
        "返回批次列表",
    "New round":
        "新建批次",
    "Candidate file (XLSX, XLS or CSV)":
        "候选人名单（XLSX、XLS 或 CSV）",
    "Create the round":
        "创建批次",
    "Submit your records":
        "报送本单位记录",
    "Records file (XLSX, XLS or CSV)":
        "记录文件（XLSX、XLS 或 CSV）",
    "Submit":
        "报送",
    "Screen every candidate":
        "审查全部候选人",
    "Add candidates (e.g. the fixed rows)":
        "追加候选人（如改正后的退回行）",
    "Add":
        "追加",
    "Attest that we reviewed this round":
        "确认本单位已审核该批次",
    "You attested at {time}.":
        "本单位已于 {time} 确认。",
    "Download the report":
        "下载联审结果",
    "Uploaded":
        "已上传",
    "The file cannot be read":
        "文件无法读取",
    "{n} candidates added":
        "已加入 {n} 名候选人",
    "{n} records accepted":
        "已接收 {n} 条记录",
    "Go to round {round}":
        "转到批次 {round}",
    "{n} rows rejected: fix them and upload them again":
        "退回 {n} 行：请改正后重新上传",
    "Row":
        "行",
    "What is wrong":
        "问题",
    "Screening":
        "审查",
    "Screening round {round}":
        "正在审查批次 {round}",
    "{done} of {total} candidates screened":
        "已审查 {done} / {total} 名候选人",
    "Back to the round":
        "返回批次",
    "Choose a file.":
        "请选择文件。",
    "Checked: no disqualifying circumstance found":
        "经核查，未发现不宜人选情形",
    "The signed checkpoint does not verify with this home's public key ({why}): the log is not the one it signed.":
        "已签名的检查点无法用本机的公钥验证（{why}）：该日志不是其所签的日志。",
    "No report as {fmt}: XLSX, PDF or CSV.":
        "没有 {fmt} 格式的报表：可下载 XLSX、PDF 或 CSV。",
    "The file is larger than {mb} MB: split it and upload the parts.":
        "文件超过 {mb} MB：请拆分后分别上传。",
    "Audit":
        "审计",
    "Replay this decision":
        "重放该结论",
    "Check its proof against the signed log":
        "用已签名的日志校验其证明",
    "Replay: {result}":
        "重放：{result}",
    "Entry {leaf} of {size}: the audit path of {n} hashes {verdict} against the root {root}... signed {at}":
        "日志 {size} 条中的第 {leaf} 条：{n} 个哈希的审计路径对签名根 {root}...（签名于 {at}）{verdict}",
    "Our records":
        "本单位记录",
    "No record yet.":
        "还没有记录。",
    "Retract":
        "撤回",
    "reason":
        "理由",
    "Candidate list":
        "候选人名单",
    "Candidate list of round {round}":
        "批次 {round} 的候选人名单",
    "The file holds every candidate's full ID number: it is personal data. Use it only to check your records, keep it on this machine and delete it when the review is done.":
        "该文件含每位候选人的完整身份证号，属于个人信息：仅用于比对本单位记录，请保存在本机并在审核结束后删除。",
    "I understand: download it":
        "我已知悉，下载",
    "Candidate list with full ID numbers (to check our records)":
        "含完整身份证号的候选人名单（用于比对本单位记录）",
    "Screen only the {n} changed":
        "只审查有变化的 {n} 人",
    "Nothing arrived after the decisions: the round's results are current.":
        "结论之后没有新到的记录：该批次结果为最新。",
    "{n} candidates have records, attestations or resolutions that arrived after their latest decision (or were added after the screening): screen them again before concluding.":
        "有 {n} 名候选人在其最新结论之后有新到的记录、确认或核实（或在审查后追加）：审定前请重新审查。",
    "What arrived":
        "新到内容",
    "After decision":
        "晚于结论",
    "not-screened":
        "尚未审查",
    "Loading the decisions: {n} of {total} so far (the page looks again every second).":
        "正在载入审查结论：已载入 {n} / {total}（页面每秒自动刷新）。",
    "Changed since screening":
        "审查后有变化",
    "Our review":
        "本单位审核",
    "attested {time}":
        "已于 {time} 确认",
    "awaiting our review":
        "待本单位审核",
    "A candidate's every decision, by the whole ID number":
        "按完整身份证号查询候选人的全部结论",
    "Find":
        "查询",
    "No decision is recorded for that ID number in this round.":
        "该批次没有此身份证号的审查结论。",
    "Every decision recorded for this candidate, oldest first; the last is in force.":
        "该候选人的全部审查结论，按时间先后排列；最后一条为现行结论。",
    "Decision":
        "结论",
    "Recorded at":
        "记录时间",
    "Lineage":
        "来历",
    "Recorded {at}, log entry {leaf}":
        "记录于 {at}，日志第 {leaf} 条",
    "It replaced":
        "取代了",
    "Replaced by":
        "已被取代：",
    "Made for appeal {appeal} against":
        "复核 {appeal} 的决定，原结论",
    "Appealed: {appeal} ({reason})":
        "被申请复核：{appeal}（{reason}）",
    "The inputs it read, each bound to its log entry":
        "所读取的输入及其日志条目",
    "Input":
        "输入",
    "Which":
        "内容",
    "Log entry":
        "日志条目",
    "Leaf hash":
        "叶哈希",
    "Its context entry (the round, the ruleset, the attestations and the log size it read at): {hash}":
        "其上下文条目（批次、规则版本、各单位确认及读取时的日志长度）：{hash}",
    "Recorded before inputs were bound to the log: its inputs are as the record holds them.":
        "该结论记录于输入绑定日志之前：其输入以记录所载为准。",
    "attestation":
        "确认",
    "resolution":
        "核实",
    "appeal":
        "复核",
    "A correction needs its reason.":
        "更正须填写理由。",
    "{name}: resolved, new decision {decision} ({verdict}).":
        "{name}：已核实，新结论 {decision}（{verdict}）。",
    "The round cannot be concluded yet: {blockers}":
        "该批次尚不能审定：{blockers}",
    "No record {reference} of yours.":
        "本单位没有文号为 {reference} 的记录。",
    "That verdict is no longer waiting for your review: reload the queue.":
        "该意见已不在待核实之列，请刷新待核实清单。",
    "The candidate of that verdict cannot be told apart in the round's list: resolve it with eligibility review resolve and the full ID number.":
        '无法在该批次名单中唯一确定此候选人：请用 eligibility review resolve 并给出完整身份证号办理。',
    "The ID number typed is not {name}'s ({masked}).":
        '输入的身份证号不是 {name} 的（{masked}）。',
    "ID number: {why}":
        "身份证号：{why}",
    "Our REVIEW queue":
        "本单位待核实",
    "Nothing is waiting for your verification in this round.":
        "该批次没有待本单位核实的人员。",
    "{n} verdicts wait for your verification (核实): check the person, then record your conclusion and opinion; the candidate is screened again at once.":
        "有 {n} 人待本单位核实：核查后填写核实结论和意见，系统随即重新审查该候选人。",
    "What to verify":
        "核实事项",
    "Your conclusion":
        "核实结论",
    "No disqualifying fact: pass":
        "未发现不宜人选情形：通过",
    "Confirmed: fail":
        "情况属实：不通过",
    "Record the conclusion":
        "提交核实结论",
    "Already resolved or not resolvable":
        "已核实或无法核实的",
    "Appeals":
        "复核申请",
    "No appeal in this round.":
        "该批次没有复核申请。",
    "Opened {at} against decision {decision}; it contests: {agencies}":
        "{at} 登记，针对结论 {decision}；涉及单位：{agencies}",
    "Reason":
        "理由",
    "Answer":
        "答复",
    "Answered at":
        "答复时间",
    "Decided":
        "已复核",
    "Waiting for":
        "等待答复",
    "Uphold: our record and verdict stand":
        "维持：本单位记录和意见不变",
    "Revise: we corrected or retracted the record":
        "改正：本单位已更正或撤回记录",
    "Send our answer":
        "提交答复",
    "Every contested agency answered.":
        "各涉及单位均已答复。",
    "Decide: screen the candidate again":
        "复核：重新审查该候选人",
    "Correct a record":
        "更正记录",
    "Correct record {reference}":
        "更正记录 {reference}",
    "The correction is a new version (v{v}); the one on record stays in the log, and every round's candidates it concerns are flagged as changed.":
        '更正生成新版本（第 {v} 版）；原记录仍留在日志中，涉及的各批次候选人会标为有变化。',
    "the person's full ID number (on record: {masked})":
        '当事人的完整身份证号（记录中为 {masked}）',
    "term_months":
        "期限（月）",
    "note":
        "备注",
    "Record the correction":
        "提交更正",
    "Conclusion note":
        "审定说明",
    "Conclude the round (审定)":
        "审定该批次",
    "Appeal (复核)":
        "复核",
    "The candidate's full ID number, from the application":
        '候选人的完整身份证号（照申请书填写）',
    "Open an appeal":
        "登记复核申请",
    "Retract or correct":
        "撤回或更正",
    "Correct":
        "更正",
    "the rows correct records already on file":
        "本文件各行是对已报送记录的更正",
    "The log":
        "日志",
    "Download the whole log (an export to verify offline)":
        "下载完整日志（用于离线校验的导出）",
    "Unzip it and run: eligibility audit verify DIR --public-key FILE --replay":
        "解压后运行：eligibility audit verify 目录 --public-key 公钥文件 --replay",
    # ---- help ----
    "screen the candidate again once every contested agency answered (district)":
        "各被复核单位答复后重新审查该候选人（区联审办）",
    "who handled it (经办人)":
        "经办人",
    "your agency's written opinion (复核意见)":
        "本单位的书面复核意见",
    "you corrected or retracted the record":
        "本单位已更正或撤回该记录",
    "your record and verdict stand":
        "本单位的记录和意见维持不变",
    "your agency's answer to an appeal contesting its verdict (revise after correcting or retracting the record)":
        "答复对本单位意见的复核申请（先更正或撤回记录，再答复改正）",
    "only this round's":
        "只看该批次的",
    "appeals (an agency: those contesting its verdicts)":
        "复核申请（成员单位：针对本单位意见的）",
    "the candidate's reason, as they gave it":
        "候选人提出的理由（照录）",
    "the candidate's full ID number":
        "候选人的完整身份证号",
    "open a candidate's appeal against their latest decision (district)":
        "登记候选人对其最新审查结论的复核申请（区联审办）",
    "appeals against decisions (复核)":
        "对审查结论的复核",
    "list unchanged candidates too":
        "也列出结论不变的候选人",
    "RFC 3339 time, or a date (= the end of that day, UTC)":
        "RFC 3339 时间，或日期（即该日结束时，UTC）",
    "re-screen a round with only the records on file at a moment":
        "只用某一时刻已登记的记录重新审查一个批次",
    "which verdicts of a round another ruleset would change":
        "换用另一规则版本时，批次中哪些结论会改变",
    "check every table row against the log (local: on the server's machine, no server call)":
        "逐行核对数据表与日志（在服务器本机运行，不经服务）",
    "also replay every decision from the exported entries alone: its inputs must be the ones logged (none missing, none extra, none altered) and re-evaluating them must give its result":
        "并仅凭导出的日志重放每个结论：其输入须与日志一致（不缺、不多、未改），重新计算须得出同一结论",
    "a checkpoint kept earlier (audit checkpoint --out, or an older export's checkpoints.jsonl): the log must extend it (fails on a rolled-back or forked log); may be repeated":
        "此前保存的检查点（audit checkpoint --out，或旧导出的 checkpoints.jsonl）：日志须是它的延续（日志被回滚或分叉则失败）；可重复给出",
    "the log's public key (base64), from a copy you trust":
        "日志公钥（base64），取自您信任的副本",
    "verify an exported log offline (no server)":
        "离线校验导出的日志（不经服务）",
    "write the log and checkpoints to files":
        "把日志和检查点写入文件",
    "prove a decision is in the signed log":
        "证明某个结论在已签名的日志中",
    "keep the signed checkpoint in FILE (for a later audit verify --trusted FILE)":
        "把签名检查点保存到 FILE（供日后 audit verify --trusted FILE 使用）",
    "sign a checkpoint of the log now":
        "立即为日志签一个检查点",
    "replay a decision, or every decision of --round":
        "重放一个结论，或 --round 批次的全部结论",
    "only this candidate's decisions":
        "只看该候选人的结论",
    "list the decisions recorded for a round (or one candidate)":
        "列出批次（或某候选人）已记录的结论",
    "show a decision and why, and what it superseded":
        "显示一个结论及其理由，以及它取代了哪个结论",
    "decisions and replay":
        "结论与重放",
    "list your own flags":
        "列出本单位的记录",
    "retract a flag by its reference, with a reason":
        "按文号撤回一条记录（须说明理由）",
    "correct flags from a file (new versions), with a reason":
        "从文件更正记录（生成新版本，须说明理由）",
    "rows with existing references are corrections":
        "文号已存在的行作为更正",
    "submit flags from a CSV/XLSX/XLS file":
        "从 CSV/XLSX/XLS 文件报送记录",
    "an agency's flags":
        "成员单位的记录",
    "write the rejected rows, with an error column, to FILE.xlsx or FILE.csv (fix them there and send that file)":
        "把被退回的行（附错误原因列）写入 FILE.xlsx 或 FILE.csv（在其中改正后重新报送该文件）",
    "dry run: check every row and say what would happen; store nothing":
        "试运行：检查每一行并说明会发生什么，不保存任何内容",
    "the sheet to read, by name or number from 1 (default: the first with a header row)":
        "要读取的工作表，按名称或从 1 起的序号（默认：第一个有表头的工作表）",
    "print only non-eligible rows and the summary":
        "只显示不符合条件的行和汇总",
    "candidates per village (default 4)":
        "每个村的候选人数（默认 4）",
    "keep the demo home here (default: a temporary directory)":
        "把演示用的主目录放在这里（默认：临时目录）",
    "run a synthetic district through the real server and client":
        "用一个模拟的区走一遍真实的服务和客户端",
    "check a home (config, keys, certificates, database, rulesets, log)":
        "检查主目录（配置、密钥、证书、数据库、规则、日志）",
    "start although the log does not extend the last checkpoint this server signed (a backup was restored on purpose); logged, and the next checkpoint replaces the kept one":
        "即使日志不是本服务上次签名检查点的延续也启动（有意恢复了备份）；此事记入日志，下一个检查点取代保存的检查点",
    "serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464)":
        "在 HOST:PORT 提供 Prometheus 指标（如 127.0.0.1:9464）",
    "HOST:PORT (port 0 = any free port); default from config":
        "HOST:PORT（端口 0 = 任一空闲端口）；默认取配置",
    "run the gRPC server on a home":
        "在主目录上运行 gRPC 服务",
    "only this role":
        "只看该角色",
    "every certificate issued: role, serial, issued, expires, revoked":
        "已签发的全部证书：角色、序列号、签发、到期、吊销",
    "only this certificate (its serial as `credentials list` shows it)":
        "只针对该证书（序列号见 `credentials list`）",
    "revoke a role's certificates: every one still valid, or the one --serial names":
        "吊销某角色的证书：全部仍有效的，或 --serial 指定的那一个",
    "keep the replaced certificate valid (a planned hand-over; end it with revoke --serial)":
        "被替换的证书暂不失效（计划内交接；之后用 revoke --serial 结束）",
    "issue a new certificate for a role (the one it replaces is revoked)":
        "为某角色签发新证书（被替换的证书随即吊销）",
    "an empty or new directory":
        "一个空目录或新目录",
    "write a role's credential bundle for handing over":
        "写出某角色的凭据包以便移交",
    "per-role client certificates":
        "各角色的客户端证书",
    "extra host name/IP for the server certificate":
        "服务器证书的附加主机名/IP",
    "create a home: config, database, credentials for every role":
        "创建主目录：配置、数据库、各角色凭据",
    "who verified it (经办人)":
        "核实经办人",
    "your agency's written opinion (核实意见)":
        "本单位的书面核实意见",
    "record your agency's conclusion on a REVIEW verdict (the candidate is screened again at once)":
        "登记本单位对待核实意见的核实结论（随即重新审查该候选人）",
    "also the verdicts your agency already resolved":
        "也列出本单位已核实的意见",
    "your agency's REVIEW verdicts in a round, with why":
        "本单位在某批次中的待核实意见及原因",
    "verify your agency's REVIEW verdicts (核实)":
        "核实本单位的待核实意见",
    "a PDF adds one page per candidate (the dossier)":
        "PDF 为每位候选人另附一页（个人档案）",
    "FILE.xlsx, FILE.pdf, FILE.html or FILE.csv":
        "FILE.xlsx、FILE.pdf、FILE.html 或 FILE.csv",
    "write the joint review report (XLSX/HTML/CSV; Chinese unless --lang en)":
        "生成联审结果（XLSX/PDF/HTML/CSV；除非 --lang en，均为中文）",
    "list every candidate (a large round lists those not ELIGIBLE)":
        "列出全部候选人（大批次默认只列不符合条件的）",
    "only candidates of this township":
        "只看该乡镇（街道）的候选人",
    "only candidates who are not ELIGIBLE":
        "只看不符合条件的候选人",
    "each candidate's latest decision, as recorded (records nothing)":
        "每位候选人已记录的最新结论（不新增记录）",
    "conclude a round (资格审查结论) once nothing blocks it":
        "在没有阻碍时审定批次（资格审查结论）",
    "keep watching and print changes as they arrive":
        "持续关注，随到随显示变化",
    "what arrived after each candidate's latest decision":
        "每位候选人最新结论之后新到的内容",
    "only the candidates changed since their latest decision":
        "只审查最新结论之后有变化的候选人",
    "screen every candidate of a round":
        "审查批次中的全部候选人",
    "the officer who handled the review (经办人), shown in the report":
        "审核经办人，显示在联审表中",
    "your agency's opinion, shown in the report (e.g. 经核查，未发现不宜人选情形)":
        "本单位意见，显示在联审表中（如：经核查，未发现不宜人选情形）",
    "attest that your agency reviewed the round":
        "确认本单位已审核该批次",
    "full ID numbers (agencies, to check their records)":
        "完整身份证号（成员单位用于比对记录）",
    "list a round's candidates":
        "列出批次的候选人",
    "show a round and its attestations":
        "显示批次及各单位确认情况",
    "list rounds":
        "列出批次",
    "CSV/XLSX/XLS candidate file":
        "候选人名单（CSV/XLSX/XLS）",
    "add candidates to a round from a file (e.g. the fixed rejected rows)":
        "从文件向批次追加候选人（如改正后的退回行）",
    "create it even if a round of that name exists":
        "即使已有同名批次也创建",
    "reference date YYYY-MM-DD":
        "基准日 YYYY-MM-DD",
    "create a round from a candidate file":
        "用候选人名单创建批次",
    "screening rounds":
        "审查批次",
    "screen one person: a candidate of --round, or ad hoc with --as-of":
        "单独审查一人：--round 批次中的候选人，或用 --as-of 临时核查",
    "run the golden cases (local, no server)":
        "运行规则样例（本地，不经服务）",
    "check rule files (local, no server)":
        "检查规则文件（本地，不经服务）",
    "show a rule (from the server with --as, else local)":
        "显示一条规则（带 --as 时取自服务，否则取本地）",
    "the words a file may use for kinds, levels, positions and party membership (local)":
        "文件中类型、等级、职务、党员身份可用的词（本地）",
    "rulesets with their hashes (the server's with --as, else local)":
        "规则版本及其哈希（带 --as 时取自服务，否则取本地）",
    "FILE.xlsx":
        "FILE.xlsx",
    "write a blank XLSX to fill in: flags (--as AGENCY: its kinds) or candidates":
        "生成待填写的空白 XLSX：记录（--as 单位：该单位的类型）或候选人",
    "no TLS (loopback only; the server must run with --plaintext too)":
        "不用 TLS（仅限本机回环；服务也须以 --plaintext 运行）",
    "zh or en (else ELIGIBILITY_LANG, the home's lang, LANG; Chinese when none says)":
        "zh 或 en（否则依次取 ELIGIBILITY_LANG、主目录的 lang、LANG；都未指定时用中文）",
    "per-call deadline in seconds":
        "每次调用的时限（秒）",
    "table (default) or json (JSON Lines)":
        "table（默认）或 json（JSON Lines）",
    "act as ROLE (ELIGIBILITY_AS)":
        "以 ROLE 身份操作（ELIGIBILITY_AS）",
    "server HOST:PORT (ELIGIBILITY_SERVER)":
        "服务地址 HOST:PORT（ELIGIBILITY_SERVER）",
    "home directory (ELIGIBILITY_HOME)":
        "主目录（ELIGIBILITY_HOME）",
    # ---- argparse's own words (formatted by argparse, %-style) ----
    "usage: ":
        "用法：",
    "positional arguments":
        "位置参数",
    "options":
        "选项",
    "show this help message and exit":
        "显示本帮助并退出",
    "show program's version number and exit":
        "显示版本号并退出",
    "%(prog)s: error: %(message)s\n":
        "%(prog)s: 错误: %(message)s\n",
    "the following arguments are required: %s":
        "缺少以下参数：%s",
    "unrecognized arguments: %s":
        "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "无效的选项：%(value)r（可选：%(choices)s）",
    "expected one argument":
        "需要一个参数",
    "argument %(argument_name)s: %(message)s":
        "参数 %(argument_name)s：%(message)s",
    "invalid %(type)s value: %(value)r":
        "无效的 %(type)s 值：%(value)r",
    "ambiguous option: %(option)s could match %(matches)s":
        "选项有歧义：%(option)s 可能是 %(matches)s",
}

ROW_ERRORS: list[tuple[str, str]] = [
    # A row's problem as the server says it (the part after "row N: field: ") -> its Chinese; a pattern matches the
    # whole text, and \g<name> in the Chinese repeats what the pattern captured.
    (r"missing",
     "未填写"),
    (r"missing; the position (?P<p>.+?) needs it \(e\.g\. .*\)",
     "未填写；拟任职务“\\g<p>”须填写（如 中共党员、中共预备党员、群众；或 是/否）"),
    (r"unknown value (?P<v>'.*'); expected .*",
     "无法识别的值 \\g<v>；应为 是/否，或 中共党员、中共预备党员、共青团员、群众 等政治面貌"),
    (r"unknown position (?P<v>'.*?'); expected one of (?P<list>.+) \(several joined with .*\)",
     "无法识别的职务 \\g<v>；应为 \\g<list> 之一（多个职务用 + 、 , ， / 连接）"),
    (r"same person as row (?P<n>\d+); list a person once with all positions joined by \+",
     "与第 \\g<n> 行是同一人；同一人只列一行，多个职务用 + 连接"),
    (r"already a candidate of this round",
     "已是本批次的候选人"),
    (r"expected a date \(.*\), got (?P<v>.*)",
     "应为日期（YYYY-MM-DD、YYYY/M/D、YYYY.M.D、YYYY年M月D日 或 YYYYMMDD），实际为 \\g<v>"),
    (r"expected a date as YYYY-MM-DD, got (?P<v>.*)",
     "应为 YYYY-MM-DD 格式的日期，实际为 \\g<v>"),
    (r"(?P<v>.+) is not a calendar date",
     "\\g<v> 不是有效日期"),
    (r"(?P<d>\S+) is outside (?P<a>\S+) \.\. (?P<b>\S+)",
     "\\g<d> 超出 \\g<a> 至 \\g<b> 的范围"),
    (r"must have 18 characters, has (?P<n>\d+) \((?P<m>.*)\)",
     "应为 18 位，实为 \\g<n> 位（\\g<m>）"),
    (r"must be ASCII digits 0-9 \(with a final X\); found non-ASCII characters",
     "只能是数字 0-9（末位可为 X）；含有其他字符"),
    (r"must be 17 digits followed by a digit or X \((?P<m>.*)\)",
     "应为 17 位数字加 1 位数字或 X（\\g<m>）"),
    (r"check digit is wrong \((?P<m>.*)\)",
     "校验位错误（\\g<m>）"),
    (r"birth date (?P<d>\d+) in the ID number is not a calendar date \((?P<m>.*)\)",
     "身份证号中的出生日期 \\g<d> 不是有效日期（\\g<m>）"),
    (r"birth year (?P<y>\d+) is implausible \((?P<m>.*)\)",
     "出生年份 \\g<y> 不合理（\\g<m>）"),
    (r"stored as a number in the spreadsheet \(digits are lost\); format the column as text and type the number again",
     "在表格中存成了数字（位数已丢失）；请把该列设为文本格式后重新录入"),
    (r"cell longer than (?P<n>[\d,]+) characters",
     "单元格超过 \\g<n> 个字符"),
    (r"longer than (?P<n>\d+) characters \((?P<m>\d+)\)",
     "超过 \\g<n> 个字符（实为 \\g<m>）"),
    (r"contains (?P<w>.+), a control or invisible formatting character .*: remove it",
     "含有 \\g<w>（控制字符或不可见的格式字符，会使报表显示的与存储的不一致）：请删除"),
    (r"(?P<k>'.*') belongs to agency (?P<a>\w+), not (?P<b>\w+)",
     "\\g<k> 属于 \\g<a>，不属于 \\g<b>"),
    (r"unknown flag kind (?P<k>'.*?'); (?P<a>\w+) may submit: (?P<list>.+)",
     "无法识别的类型 \\g<k>；\\g<a> 可报送：\\g<list>"),
    (r"(?P<l>.+) is not a level of (?P<k>\w+); expected one of (?P<list>.+)",
     "\\g<l> 不是 \\g<k> 的等级；应为 \\g<list> 之一"),
    (r"(?P<k>\w+) takes no level, got (?P<l>.+)",
     "\\g<k> 没有等级，却填了 \\g<l>"),
    (r"must be one of (?P<list>.+), got (?P<v>.+)",
     "应为 \\g<list> 之一，实际为 \\g<v>"),
    (r"a whole number of months \(1-1200\), got (?P<v>.+)",
     "应为整月数（1-1200），实际为 \\g<v>"),
    (r"does not apply to (?P<k>.+)",
     "不适用于 \\g<k>"),
    (r"(?P<e>\S+) is before the decision date (?P<d>\S+)",
     "\\g<e> 早于决定日期 \\g<d>"),
    (r"duplicate of row (?P<n>\d+) in this submission",
     "与本次报送的第 \\g<n> 行重复"),
    (r"no flag (?P<r>.+) on record to correct",
     "没有可更正的记录 \\g<r>"),
    (r"flag (?P<r>.+) was retracted \(version (?P<v>\d+)\); submit it as a correction with a reason to change it",
     "记录 \\g<r> 已撤回（第 \\g<v> 版）；如要修改，请作为更正报送并说明理由"),
    (r"flag (?P<r>.+) is on record with different content \(version (?P<v>\d+)\); submit it as a correction with a reason to change it",
     "记录 \\g<r> 已登记且内容不同（第 \\g<v> 版）；如要修改，请作为更正报送并说明理由"),
]

SERVER_ERRORS: list[tuple[str, str]] = [
    # A refusal as the server words it (the whole details of the call's error) -> its Chinese.
    (r"a round named (?P<n>'.*') exists \((?P<r>R-\w+), as of (?P<d>[\d-]+)\); add candidates to it, or give the new round another name \(or ask for a second round of that name\)",
     "已有名为 \\g<n> 的批次（\\g<r>，基准日 \\g<d>）；请向该批次追加候选人，或给新批次另起名称（确需同名时加 --same-name）"),
    (r"no round (?P<r>'.*')",
     "没有批次 \\g<r>"),
    (r"round (?P<r>R-\w+) is concluded \(at (?P<t>\S+)\): it takes no more (?P<a>\w+); a disputed decision goes through an appeal \(`appeal open`\)",
     "批次 \\g<r> 已审定（\\g<t>）：不再接受此类操作（\\g<a>）；对结论有异议的，请走复核（`appeal open`）"),
    (r"(?P<m>\S+) is not a candidate of round (?P<r>R-\w+)",
     "\\g<m> 不是批次 \\g<r> 的候选人"),
    (r"(?P<a>\w+) has no flag with reference (?P<r>'.*')",
     "\\g<a> 没有文号为 \\g<r> 的记录"),
    (r"role (?P<r>\w+) is not an agency",
     "角色 \\g<r> 不是成员单位"),
    (r"no ruleset named (?P<n>'.*'); loaded: (?P<l>.*)",
     "没有名为 \\g<n> 的规则版本；已加载：\\g<l>"),
    (r"name: a round needs a name",
     "name：批次须有名称"),
    (r"a retraction needs a reason",
     "撤回须说明理由"),
    (r"a correction needs a reason",
     "更正须说明理由"),
    (r"opinion: the agency's written opinion is required \(核实意见\)",
     "opinion：须填写本单位的书面核实意见"),
    (r"(?P<a>\w+) has already answered appeal (?P<p>A-\w+)",
     "\\g<a> 已答复复核申请 \\g<p>"),
    (r"appeal (?P<p>A-\w+) was decided \(decision (?P<d>\S+)\): it takes no more answers",
     "复核申请 \\g<p> 已决定（结论 \\g<d>）：不再接受答复"),
    (r"role (?P<r>\w+) may not call /eligibility\.v1\.(?P<s>\w+)/(?P<m>\w+)",
     "角色 \\g<r> 无权进行此操作（\\g<s>/\\g<m>）"),
    # appeals and resolutions (复核, 核实)
    (r"(?P<w>.+) is (?P<o>\w+) in decision (?P<d>\S+): no agency's verdict is against them, there is nothing to appeal",
     "\\g<w> 在结论 \\g<d> 中为 \\g<o>：没有单位的意见对其不利，无可复核"),
    (r"answer: (?P<v>.*) is not uphold or revise",
     "answer：\\g<v> 不是 uphold（维持）或 revise（改正）"),
    (r"appeal (?P<p>A-\w+) contests the verdicts of (?P<l>.+), not (?P<a>\w+)'s",
     "复核申请 \\g<p> 针对的是 \\g<l> 的意见，不是 \\g<a> 的"),
    (r"(?P<m>\S+) already has an appeal in round (?P<r>R-\w+) that is not decided \((?P<p>A-\w+)\): answer and decide it first",
     "\\g<m> 在批次 \\g<r> 已有未决的复核申请（\\g<p>）：请先答复并作出复核决定"),
    (r"(?P<m>\S+) has not been screened in round (?P<r>R-\w+): there is no decision to appeal yet",
     "\\g<m> 在批次 \\g<r> 尚未审查：还没有可复核的结论"),
    (r"(?P<m>\S+) has not been screened in round (?P<r>R-\w+): (?P<so>.+)",
     "\\g<m> 在批次 \\g<r> 尚未审查：\\g<so>"),
    (r"no appeal (?P<p>'.*') \(`appeal list` lists them\)",
     "没有复核申请 \\g<p>（`appeal list` 可列出）"),
    (r"appeal (?P<p>A-\w+) was decided already \(decision (?P<d>\S+)\)",
     "复核申请 \\g<p> 已作出决定（结论 \\g<d>）"),
    (r"appeal (?P<p>A-\w+) waits for the answer of (?P<l>.+)",
     "复核申请 \\g<p> 尚待 \\g<l> 答复"),
    (r"no decision (?P<d>'.*')",
     "没有结论 \\g<d>"),
    (r"outcome: (?P<v>.*) is not pass or fail",
     "outcome：\\g<v> 不是 pass（通过）或 fail（不通过）"),
    (r"(?P<a>\w+)'s verdict for (?P<w>.+) in decision (?P<d>\S+) cannot be resolved: its verdict is (?P<v>.+), not REVIEW \(待核实\): there is nothing to verify",
     "\\g<w> 在结论 \\g<d> 中 \\g<a> 的意见无法核实：该意见为 \\g<v>，不是待核实，无需核实"),
    (r"(?P<a>\w+)'s verdict for (?P<w>.+) in decision (?P<d>\S+) cannot be resolved: (?P<why>.+)",
     "\\g<w> 在结论 \\g<d> 中 \\g<a> 的意见无法核实：\\g<why>"),
    (r"decision (?P<d>\S+) was recorded before decisions named their inputs in the log: screen the candidate again, then resolve",
     "结论 \\g<d> 记录于结论绑定日志输入之前：请先重新审查该候选人，再核实"),
    (r"(?P<a>\w+)'s records on (?P<w>.+) changed since decision (?P<d>\S+) \(it read entries (?P<x>.*), the log now holds (?P<y>.*)\): screen the candidate again .*",
     "\\g<a> 关于 \\g<w> 的记录在结论 \\g<d> 之后有变化（该结论读取日志条目 \\g<x>，现为 \\g<y>）：请先重新审查该候选人（`round screen R --changed`），再按新结论核实"),
    (r"added after the round was screened; no decision yet",
     "在该批次审查后追加，尚无结论"),
    # why a round cannot be concluded yet (each blocker of `round conclude`)
    (r"(?P<a>\w+) has not attested the round",
     "\\g<a> 尚未确认该批次"),
    (r"the round has not been screened",
     "该批次尚未审查"),
    (r"(?P<w>.+) is NEEDS_REVIEW",
     "\\g<w> 待核实"),
    (r"(?P<w>.+) is PENDING",
     "\\g<w> 待反馈"),
    (r"(?P<w>.+) has not been screened",
     "\\g<w> 尚未审查"),
    (r"(?P<w>.+) changed since decision (?P<d>\S+): (?P<a>\w+) (?P<t>\w+) (?P<what>.+) \(entry (?P<p>\d+)\) arrived after it",
     "\\g<w> 在结论 \\g<d> 之后有变化：\\g<a> 的 \\g<what>（\\g<t>，日志第 \\g<p> 条）晚于该结论到达"),
]
