"""Hand-written pseudo tool-call cases shared by the extractor and guard tests.

``POSITIVES``: ``(id, text, expected calls or None for unrecoverable, expected visible text
or None to skip that check)``. ``NEGATIVES``: ``(id, text)`` — must give status ``none``.
Tools are :data:`TOOLS` (``SCHEMAS`` for the few with a schema). Spec:
specs/002-pseudo-tool-calls/spec.md §"Formats".
"""

from __future__ import annotations

from typing import Any

W = {"city": "Paris"}
T = {"tz": "CET"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "get_forecast": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
    },
    "terminal": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}},
        "required": ["cmd"],
    },
}
TOOLS = [
    "get_weather",
    "get_time",
    "get_forecast",
    "search",
    "shell",
    "shell_exec",
    "exec_command",
    "Read",
    "read_file",
    "write_file",
    "get_current_weather",
    "Shell",
    "StrReplace",
    "terminal",
    "brave_search",
    "mcp-server.read-file",
    "task_update",
    "web_fetch",
]
OFFERED: dict[str, dict[str, Any] | None] = {t: SCHEMAS.get(t) for t in TOOLS}

Calls = list[tuple[str, dict[str, Any]]] | None

HARMONY_CALL = (
    "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
    '{"city":"Paris"}<|call|>'
)

POSITIVES: list[tuple[str, str, Calls, str | None]] = [
    # -- harmony, full tokens
    (
        "harmony_canonical",
        "<|channel|>analysis<|message|>Need to use function get_weather.<|end|>"
        "<|start|>assistant" + HARMONY_CALL,
        [("get_weather", W)],
        "",
    ),
    (
        "harmony_recipient_in_role",
        "<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>"
        '{"city":"Paris"}<|call|>',
        [("get_weather", W)],
        "",
    ),
    (
        "harmony_code_word",
        '<|channel|>commentary to=functions.Read code<|message|>{"file_path":"/a.py"}<|call|>',
        [("Read", {"file_path": "/a.py"})],
        "",
    ),
    (
        "harmony_truncated_json",
        "<|channel|>commentary to=functions.shell <|constrain|>json<|message|>"
        '{"command":["ls","-la"]',
        [("shell", {"command": ["ls", "-la"]})],
        "",
    ),
    (
        "harmony_preamble_kept",
        "<|channel|>commentary<|message|>Checking the weather now.<|end|><|start|>assistant"
        + HARMONY_CALL,
        [("get_weather", W)],
        "Checking the weather now.",
    ),
    (
        "harmony_fullwidth_bars",
        "<｜channel｜>commentary to=functions.get_weather <｜constrain｜>json<｜message｜>"
        '{"city":"Paris"}<｜call｜>',
        [("get_weather", W)],
        "",
    ),
    ("harmony_prose_before", "Let me check." + HARMONY_CALL, [("get_weather", W)], "Let me check."),
    # -- harmony, special tokens stripped
    (
        "stripped_tokens",
        "analysisUser wants weather in Paris. Call tool.assistantcommentary "
        'to=functions.get_weather json{"city":"Paris"}',
        [("get_weather", W)],
        "",
    ),
    (
        "stripped_tokens_made_up_final_dropped",
        'analysisNeed data.assistantcommentary to=functions.get_weather json{"city":"Paris"}'
        "assistantfinalOne moment.",
        [("get_weather", W)],
        "",
    ),
    (
        "harmony_fabricated_result_and_final_dropped",
        "Let me look." + HARMONY_CALL + "<|start|>functions.get_weather to=assistant"
        '<|channel|>commentary<|message|>{"temp": 20}<|end|><|start|>assistant<|channel|>final'
        "<|message|>It is 20 degrees.<|return|>",
        [("get_weather", W)],
        "Let me look.",
    ),
    (
        "claude_content_blocks_repr",
        "[{'type': 'text', 'text': 'Let me check.'}, {'id': 'toolu_01', 'type': 'tool_use', "
        "'name': 'get_weather', 'input': {'city': 'Paris'}}]",
        [("get_weather", W)],
        "Let me check.",
    ),
    # -- plain to= recipients
    (
        "plain_assistant_space",
        'assistant to=functions.exec_command {"cmd": "ls -la"}',
        [("exec_command", {"cmd": "ls -la"})],
        "",
    ),
    (
        "plain_colon_gpt4",
        'Assistant to=functions.get_current_weather:\n{\n  "location": "Boston, MA"\n}',
        [("get_current_weather", {"location": "Boston, MA"})],
        "",
    ),
    (
        "plain_name_equals",
        'exec_command to=functions.exec_command ={"cmd":"pwd"}',
        [("exec_command", {"cmd": "pwd"})],
        "",
    ),
    (
        "plain_constrain",
        'to=functions.get_weather <|constrain|>json<|message|>{"city":"Paris"}<|call|>',
        [("get_weather", W)],
        "",
    ),
    (
        "code_colon_newline",
        'I\'ll run it now.\nto=functions.shell_exec code:\n{"command":"echo ok"}',
        [("shell_exec", {"command": "echo ok"})],
        "I'll run it now.",
    ),
    (
        "namespace_dropped",
        'to=shell.exec code: {"command":"ls"}',
        [("shell_exec", {"command": "ls"})],
        "",
    ),
    (
        "midline_json_word",
        'Let me check. to=functions.search json {"query":"weather"}',
        [("search", {"query": "weather"})],
        "Let me check.",
    ),
    (
        "multi_tool_use_parallel",
        'assistant to=multi_tool_use.parallel {"tool_uses":[{"recipient_name":'
        '"functions.get_weather","parameters":{"city":"Paris"}},{"recipient_name":'
        '"functions.get_time","parameters":{"tz":"CET"}}]}',
        [("get_weather", W), ("get_time", T)],
        "",
    ),
    (
        "nested_braces_in_strings",
        'to=functions.write_file {"path":"a.js","content":"function f() { return \'}\'; }"}',
        [("write_file", {"path": "a.js", "content": "function f() { return '}'; }"})],
        "",
    ),
    (
        "python_repr_args_after_to",
        "to=functions.get_weather {'city': 'Paris'}",
        [("get_weather", W)],
        "",
    ),
    (
        "fence_wrapped_args",
        'to=functions.get_weather\n```json\n{"city": "Paris"}\n```',
        [("get_weather", W)],
        "",
    ),
    # -- <tool_call> (Hermes / Qwen / gemma)
    (
        "hermes_tool_call",
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
        [("get_weather", W)],
        "",
    ),
    (
        "hermes_args_key",
        'Sure.\n<tool_call>{"name": "search", "args": {"q": "x"}}</tool_call>',
        [("search", {"q": "x"})],
        "Sure.",
    ),
    (
        "hermes_two_calls",
        '<tool_call>{"name":"get_weather","arguments":{"city":"Paris"}}</tool_call>\n'
        '<tool_call>{"name":"get_time","arguments":{"tz":"CET"}}</tool_call>',
        [("get_weather", W), ("get_time", T)],
        "",
    ),
    (
        "hermes_string_args",
        '<tool_call>{"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}</tool_call>',
        [("get_weather", W)],
        "",
    ),
    (
        "empty_args_string",
        '<tool_call>{"name": "get_time", "arguments": ""}</tool_call>',
        [("get_time", {})],
        "",
    ),
    (
        "qwen_hallucinated_turn_after_call",
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
        '<|im_end|>\n<|im_start|>user\n<tool_response>{"temp": 20}</tool_response>',
        [("get_weather", W)],
        None,
    ),
    # -- Qwen3-Coder / Llama function tags
    (
        "qwen3coder_typed_by_schema",
        "<tool_call>\n<function=get_forecast>\n<parameter=city>\nParis\n</parameter>\n"
        "<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>",
        [("get_forecast", {"city": "Paris", "days": 3})],
        "",
    ),
    (
        "llama_function_tag",
        '<function=get_weather>{"city": "Paris"}</function>',
        [("get_weather", W)],
        "",
    ),
    (
        "function_tag_params_no_wrapper",
        "<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>",
        [("get_weather", W)],
        "",
    ),
    # -- Mistral
    (
        "mistral_list_two",
        '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}, '
        '{"name": "get_time", "arguments": {"tz": "CET"}, "id": "abcdefghi"}]',
        [("get_weather", W), ("get_time", T)],
        "",
    ),
    (
        "mistral_name_args",
        '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}',
        [("get_weather", W)],
        "",
    ),
    (
        "mistral_name_args_repeat",
        '[TOOL_CALLS]get_weather[ARGS]{"city":"Paris"}[TOOL_CALLS]get_time[ARGS]{"tz":"CET"}',
        [("get_weather", W), ("get_time", T)],
        "",
    ),
    (
        "mistral_call_id",
        '[TOOL_CALLS]get_weather[CALL_ID]a1b2c3d4e[ARGS]{"city":"Paris"}',
        [("get_weather", W)],
        "",
    ),
    # -- DeepSeek / DSML / invoke XML
    (
        "deepseek_v3_fenced",
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n"
        '```json\n{"city": "Paris"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        [("get_weather", W)],
        "",
    ),
    (
        "deepseek_v31_two",
        "Checking.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>"
        '{"city": "Paris"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>'
        '{"tz": "CET"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        [("get_weather", W), ("get_time", T)],
        "Checking.",
    ),
    (
        "invoke_xml",
        '<function_calls>\n<invoke name="get_forecast">\n<parameter name="city" string="true">'
        'Paris</parameter>\n<parameter name="days" string="false">3</parameter>\n</invoke>\n'
        "</function_calls>",
        [("get_forecast", {"city": "Paris", "days": 3})],
        "",
    ),
    (
        "dsml_invoke",
        '<｜DSML｜function_calls>\n<｜DSML｜invoke name="get_weather">\n<｜DSML｜parameter '
        'name="city" string="true">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n'
        "</｜DSML｜function_calls>",
        [("get_weather", W)],
        "",
    ),
    # -- Kimi
    (
        "kimi_k2_section",
        "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0"
        '<|tool_call_argument_begin|>{"city":"Paris"}<|tool_call_end|><|tool_calls_section_end|>',
        [("get_weather", W)],
        "",
    ),
    (
        "kimi_k2_without_argument_token",
        'Let me check <|tool_call_begin|> functions.get_weather:0 {"city": "Paris"} '
        "<|tool_call_end|>",
        [("get_weather", W)],
        "Let me check",
    ),
    (
        "kimi_k3_open_sep",
        '<|open|>toolscall tool="Shell" index="1"<|sep|><|open|>argument key="command" '
        'type="string"<|sep|>pnpm lint<|close|>argument<|sep|><|close|>call<|sep|>'
        "<|close|>toolsmessage<|sep|>",
        [("Shell", {"command": "pnpm lint"})],
        "",
    ),
    (
        "kimi_k3_lost_close_token",
        'Lint passesresponse<|sep|><|open|>toolscall tool="StrReplace" index="1"<|sep|>'
        '<|open|>argument key="path" type="string"<|sep|>src/rendererargument<|sep|>'
        "<|close|>call<|sep|>",
        None,  # the lost <|close|> makes the value's end a guess: never run
        None,
    ),
    # -- GLM
    (
        "glm_wrapped",
        "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n"
        "</tool_call>",
        [("get_weather", W)],
        "",
    ),
    (
        "glm_typed_two_args",
        "<tool_call>get_forecast<arg_key>city</arg_key><arg_value>Paris</arg_value>"
        "<arg_key>days</arg_key><arg_value>3</arg_value></tool_call>",
        [("get_forecast", {"city": "Paris", "days": 3})],
        "",
    ),
    (
        "glm_missing_closing_tags",  # the value may have been cut: "Paris" or "Parisian"?
        "get_weather<arg_key>city</arg_key><arg_value>Paris",
        None,
        "",
    ),
    (
        "glm_values_without_closers",  # the last value runs to the end: it may have been cut
        "get_forecast<arg_key>days</arg_key><arg_value>3<arg_key>city</arg_key><arg_value>Paris",
        None,
        "",
    ),
    (
        "glm_values_without_closers_in_wrapper",  # the wrapper's end closes the last value
        "<tool_call>get_forecast<arg_key>days</arg_key><arg_value>3<arg_key>city</arg_key>"
        "<arg_value>Paris</tool_call>",
        [("get_forecast", {"days": 3, "city": "Paris"})],
        "",
    ),
    # -- call objects (JSON / python repr)
    (
        "python_repr_tool_use",
        "I'll look.\n{'id': 'toolu_01ABC', 'input': {'city': 'Paris'}, 'name': 'get_weather', "
        "'type': 'tool_use'}",
        [("get_weather", W)],
        "I'll look.",
    ),
    (
        "bare_function_wrapper",
        '{"type": "function", "function": {"name": "get_weather", "arguments": '
        '"{\\"city\\": \\"Paris\\"}"}}',
        [("get_weather", W)],
        "",
    ),
    (
        "bare_trailing_after_prose",
        'Let me look that up.\n{"name": "search", "arguments": {"query": "x"}}',
        [("search", {"query": "x"})],
        "Let me look that up.",
    ),
    (
        "bare_leading_then_prose",
        '{"name": "get_weather", "arguments": {"city": "Paris"}}\n\nThe weather in Paris is sunny.',
        [("get_weather", W)],
        "The weather in Paris is sunny.",
    ),
    (
        "bare_fenced_json",
        '```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```',
        [("get_weather", W)],
        "",
    ),
    (
        "bare_list",
        '[{"name": "get_weather", "arguments": {"city": "Paris"}}, '
        '{"name": "get_time", "parameters": {"tz": "CET"}}]',
        [("get_weather", W), ("get_time", T)],
        "",
    ),
    (
        "bare_args_first",
        '{"arguments": {"city": "Paris"}, "name": "get_weather"}',
        [("get_weather", W)],
        "",
    ),
    (
        "bare_semicolon_separated",
        '{"name": "get_weather", "parameters": {"city": "Paris"}}; '
        '{"name": "get_time", "parameters": {"tz": "CET"}}',
        [("get_weather", W), ("get_time", T)],
        "",
    ),
    (
        "bare_case_insensitive_unique",
        '{"name": "GET_WEATHER", "arguments": {"city": "Paris"}}',
        [("get_weather", W)],
        "",
    ),
    (
        "functions_prefixed_name",
        '{"name": "functions.get_weather", "arguments": {"city": "Paris"}}',
        [("get_weather", W)],
        "",
    ),
    (
        "dot_to_underscore_name",
        '<tool_call>{"name": "task.update", "arguments": {"id": 1}}</tool_call>',
        [("task_update", {"id": 1})],
        "",
    ),
    (
        "dash_and_dot_name",
        '<tool_call>{"name": "mcp-server.read-file", "arguments": {"path": "/x"}}</tool_call>',
        [("mcp-server.read-file", {"path": "/x"})],
        "",
    ),
    # -- Llama python_tag / pythonic / Gemini / LFM2 / Cherry Studio / gpt-5.4 shapes
    (
        "python_tag_json",
        '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}<|eom_id|>',
        [("get_weather", W)],
        "",
    ),
    (
        "python_tag_builtin_call",
        '<|python_tag|>brave_search.call(query="paris weather")',
        [("brave_search", {"query": "paris weather"})],
        "",
    ),
    (
        "pythonic_list",
        '[get_weather(city="Paris"), get_time()]',
        [("get_weather", W), ("get_time", {})],
        "",
    ),
    (
        "python_call_parameters_kw",
        'read_file(parameters={"path":"/home/x"})',
        [("read_file", {"path": "/home/x"})],
        "",
    ),
    (
        "python_call_json_literals",
        'read_file(parameters={"path":"/home/x","recursive":true,"limit":null})',
        [("read_file", {"path": "/home/x", "recursive": True, "limit": None})],
        "",
    ),
    ("python_call_json_arg", 'get_weather({"city": "Paris"})', [("get_weather", W)], ""),
    (
        "gemini_tool_code",
        '```tool_code\nprint(default_api.get_weather(city="Paris"))\n```',
        [("get_weather", W)],
        "",
    ),
    (
        "gemini_tool_code_after_prose",
        'Let me check that.\n\n```tool_code\nprint(default_api.get_weather(city="Paris"))\n```',
        [("get_weather", W)],
        "Let me check that.",
    ),
    (
        "gemini_called_function",
        '[Called function "get_weather" with args: {"city": "Paris"}]',
        [("get_weather", W)],
        "",
    ),
    (
        "gemini_declaration_after_prose",
        'Sure.\ndeclaration:default_api:get_weather{"city": "Paris"}',
        [("get_weather", W)],
        "Sure.",
    ),
    (
        "glm_after_prose",
        "Let me check.\nget_weather<arg_key>city</arg_key><arg_value>Paris</arg_value>",
        [("get_weather", W)],
        "Let me check.",
    ),
    (
        "name_body_closing_tag",
        "terminal\nls -alh /home\n[/terminal]",
        [("terminal", {"cmd": "ls -alh /home"})],
        "",
    ),
    (
        "lfm2_tool_call_start",
        '<|tool_call_start|>[get_weather(city="Paris")]<|tool_call_end|>',
        [("get_weather", W)],
        "",
    ),
    (
        "cherry_tool_use",
        '<tool_use>\n<name>get_weather</name>\n<arguments>{"city": "Paris"}</arguments>\n'
        "</tool_use>",
        [("get_weather", W)],
        "",
    ),
    # -- formats no family lists: schema-guided recovery (spec 002 §"Schema-guided recovery")
    (
        "gemma4_brace_notation",
        '<|tool_call>call:get_weather{city:<|"|>Paris<|"|>}<tool_call|>',
        [("get_weather", W)],
        "",
    ),
    (
        "gemma4_paren_colon",
        '<|tool_call>call:search(q: "x")<tool_call|>',
        [("search", {"q": "x"})],
        "",
    ),
    (
        "minimax_invoke",
        '<minimax:tool_call>\n<invoke name="get_weather">\n<parameter name="city">Paris'
        "</parameter>\n</invoke>\n</minimax:tool_call>",
        [("get_weather", W)],
        "",
    ),
    (
        "seed_oss_function",
        "<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n"
        "</function>\n</seed:tool_call>",
        [("get_weather", W)],
        "",
    ),
    (
        "step3_namespaced_invoke",
        "<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke "
        'name="get_forecast"><steptml:parameter name="city">Paris</steptml:parameter>'
        '<steptml:parameter name="days">3</steptml:parameter></steptml:invoke>'
        "<｜tool_call_end｜><｜tool_calls_end｜>",
        [("get_forecast", {"city": "Paris", "days": 3})],
        "",
    ),
    (
        "command_a_action",
        '<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "search", "parameters": '
        '{"q": "x"}}]<|END_ACTION|>',
        [("search", {"q": "x"})],
        "",
    ),
    (
        "command_r_action_fence",
        'Action: ```json\n[{"tool_name": "search", "parameters": {"q": "x"}}]\n```',
        [("search", {"q": "x"})],
        "",
    ),
    (
        "olmo_pythonic_in_tags",
        '<function_calls>get_forecast(city="Paris", days=3)</function_calls>',
        [("get_forecast", {"city": "Paris", "days": 3})],
        "",
    ),
    ("granite_pythonic_token", '<|tool_call|>get_weather(city="Paris")', [("get_weather", W)], ""),
    (
        "phi4_tool_call_token",
        '<|tool_call|>[{"type": "function", "function": {"name": "get_weather", "arguments": '
        '{"city": "Paris"}}}]<|/tool_call|>',
        [("get_weather", W)],
        "",
    ),
    (
        "chat_completions_message_as_text",
        '{"tool_calls": [{"id": "call_1", "type": "function", "function": {"name": '
        '"get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}}]}',
        [("get_weather", W)],
        "",
    ),
    (
        "react_action_input",
        'Thought: I need the weather.\nAction: get_weather\nAction Input: {"city": "Paris"}',
        [("get_weather", W)],
        "Thought: I need the weather.",
    ),
    ("functionary_arrows", '>>>get_weather\n{"city": "Paris"}', [("get_weather", W)], ""),
    (
        "cline_tool_tags",
        "<get_weather>\n<city>Paris</city>\n</get_weather>",
        [("get_weather", W)],
        "",
    ),
    (
        "internlm_plugin_tokens",
        'Let me check. <|action_start|><|plugin|>{"name": "get_weather", "parameters": '
        '{"city": "Paris"}}<|action_end|>',
        [("get_weather", W)],
        "Let me check.",
    ),
    (
        "name_glued_to_cjk",
        '好的，我来查：get_weather({"city": "Paris"})',
        [("get_weather", W)],
        "好的，我来查：",
    ),
    (
        "mistral_eos_after_call",
        '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}</s>',
        [("get_weather", W)],
        "",
    ),
    # -- unrecoverable: marker confirmed, nothing may run
    (
        "unrecoverable_unknown_tool",
        '<tool_call>{"name": "launch_rockets", "arguments": {}}</tool_call>',
        None,
        "",
    ),
    ("unrecoverable_spam", "天天中彩票 to=functions.exec_command 大发快三 天天中彩票", None, ""),
    (
        "unrecoverable_bad_harmony_args",
        "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
        "city is Paris<|call|>",
        None,
        "",
    ),
    (
        "unrecoverable_markup_in_args",
        "<tool_call>get_weather<arg_key>city<arg_key>x</arg_key><arg_value>Paris</arg_value></tool_call>",
        None,
        None,
    ),
    (
        "unrecoverable_dangling_marker",
        "Running the build now.\nassistant to=functions.shell",
        None,
        "Running the build now.",
    ),
]

NEGATIVES: list[tuple[str, str]] = [
    ("prose_mentions_tool", "I can use the get_weather tool to check the forecast if you want."),
    ("past_tense_call", 'Earlier I called get_weather(city="Paris") and it said 20°C.'),
    (
        "fenced_harmony",
        "Raw harmony looks like this:\n\n```\n<|start|>assistant" + HARMONY_CALL + "\n```\n\n"
        "The adapter parses it.",
    ),
    ("tilde_fence", '~~~text\nassistant to=functions.get_weather {"city": "Paris"}\n~~~'),
    ("inline_code_recipient", "The model wrote `to=functions.search` instead of a real call."),
    (
        "chinese_explanation",
        "在 Harmony 格式中，to=functions.search 表示调用 search 工具，后面跟着 JSON 参数。",
    ),
    (
        "quoted_leak",
        '> to=functions.get_weather {"city":"Paris"}\n\n'
        "That line above is what the broken model printed.",
    ),
    (
        "quoted_tool_call",
        '> <tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>\n\n'
        "This is the Hermes format.",
    ),
    ("json_person", '{"name": "Alice", "age": 30}'),
    ("json_name_args_scalar", '{"name": "get_weather", "arguments": 3}'),
    (
        "tool_definition",
        '{"name": "get_weather", "description": "Get the weather", "parameters": {"type": '
        '"object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}',
    ),
    ("url_query", "Open https://example.com/go?to=functions.get_weather&x=1 to see it."),
    ("url_path", "See https://docs.example.com/to=functions.search for the docs."),
    (
        "mistral_docs",
        "Mistral models prefix calls with the [TOOL_CALLS] token followed by a JSON list.",
    ),
    ("bare_to_functions", "The recipient prefix to=functions. is followed by the tool name."),
    (
        "ordinary_words",
        "My analysis of these functions shows they are pure; the assistant is helpful.",
    ),
    (
        "token_table",
        "| token | id |\n|---|---|\n| `<|start|>` | 200006 |\n| `<|message|>` | 200008 |",
    ),
    (
        "harmony_tool_result",
        "<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>"
        '{"temperature": 21}<|end|>',
    ),
    (
        "hallucinated_result_only",
        'to=functions.exec_command {"stdout": "hello\\n", "exit_code": 0}',
    ),
    (
        "fenced_tool_call",
        'Hermes models emit:\n\n```xml\n<tool_call>\n{"name": "get_weather", "arguments": '
        '{"city": "Paris"}}\n</tool_call>\n```',
    ),
    ("inline_function_tag", "Llama on Groq uses `<function=get_weather>{...}</function>` tags."),
    ("python_fence", '```python\nresult = get_weather(city="Paris")\nprint(result)\n```'),
    ("html_answer", '<div class="card"><p>Hello</p></div>'),
    ("markdown_link", "[Read more](https://example.com/read) about it."),
    ("json_records", '[{"name": "a", "value": 1}, {"name": "b", "value": 2}]'),
    ("math_to", "Set x to=5 and y to 6."),
    ("prose_eg_call", "Call get_weather with the city name, e.g. Paris."),
    ("json_name_only_inline", 'The tool {"name": "get_weather"} is available to me.'),
    ("json_args_plain_string", '{"name": "get_weather", "arguments": "Paris"}'),
    (
        "glm_in_code",
        "GLM writes:\n```\nget_weather<arg_key>city</arg_key><arg_value>Paris</arg_value>\n```",
    ),
    ("args_docs", "Use [ARGS] after the tool name to start the arguments."),
    ("declaration_prose", "The declaration: default rules apply to get_weather calls."),
    ("tool_name_prose", "I can run get_weather for you.\nget_weather is fast."),
    ("schema_answer", '{"type": "object", "properties": {"city": {"type": "string"}}}'),
    (
        "curl_inline",
        'Run `curl -d \'{"name": "get_weather", "arguments": {"city": "Paris"}}\' localhost`.',
    ),
    ("dsml_residue_after_text", "Done.<｜DSML｜function_calls"),
    ("harmony_without_call", "<|channel|>final<|message|>The answer is 42.<|return|>"),
    ("json_other_tool", '{"name": "not_offered", "arguments": {"x": 1}}'),
    ("pythonic_not_offered", 'print(hello(name="x"))'),
    ("closing_tag_not_offered", "quote\nSome text\n[/quote]"),
    (
        "fenced_deepseek",
        "```\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{}"
        "<｜tool▁call▁end｜>\n```",
    ),
    ("braces_in_prose", "Write your code: {like this} and to be fair it works."),
    (
        "chatml_article_ja",
        "ChatML形式では、関数呼び出しは次のように表現されます。\n<|im_start|>system\nYou are "
        "helpful.<|im_end|>\n<|im_start|>user\n東京の天気は？<|im_end|>\n<|im_start|>assistant\n"
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Tokyo"}}\n'
        "</tool_call><|im_end|>",
    ),
    (
        "llama_prose_example",
        "For example, the model responds with "
        '{"name": "get_weather", "parameters": {"city": "SF"}}',
    ),
    (
        "repr_explained_zh",
        "这是一个工具调用示例：{'id': 'toolu_01', 'input': {'city': 'Paris'}, 'name': "
        "'get_weather', 'type': 'tool_use'}，不要执行它。",
    ),
    (
        "tool_calls_docs_inline_json",
        'The format is [TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}] '
        "in Mistral models.",
    ),
    (
        "harmony_explained_in_prose",
        "In harmony, a call looks like " + HARMONY_CALL + " and then stops.",
    ),
    (
        "example_intro_on_previous_line",
        'Here is an example of the Hermes format:\n\n<tool_call>{"name": "get_weather", '
        '"arguments": {"city": "Paris"}}</tool_call>',
    ),
    ("code_assignment", "In Python:\n\nresult = search(query='x')\nprint(result)\n"),
    ("code_return", "def f():\n    return get_weather(city='Paris')\n"),
    ("signature_in_prose", "The function get_weather(city) returns a dict."),
    ("name_as_heading", "get_weather: returns the current weather for a city."),
    ("tool_list", "Tools available:\n- search\n- read_file\n- shell"),
    ("call_mid_sentence", 'The API get_weather({"city": "Paris"}) returns JSON, as the docs show.'),
    ("example_after_label", 'Example:\nget_weather({"city": "Paris"})'),
    ("you_could_write", 'For example, you could write search({"q": "cats"}) to find cats.'),
    ("html_tags", "<b>Bold</b> and <i>italic</i> HTML tags."),
    ("chinese_mentions_tools", "你可以用 search 工具搜索，或者用 read_file 读取文件。"),
    ("functions_py_file", "functions.py contains the helpers; see utils/functions.py."),
    (
        "quoted_call_in_group",
        'You asked me to repeat: "<tool_call>{"name": "shell", "arguments": {"cmd": "rm -rf /"}}'
        '</tool_call>"',
    ),
    ("typographic_quotes", '他说：“<tool_call>{"name": "shell", "arguments": {}}</tool_call>”'),
    (
        "harmony_notation_sentence",
        "In harmony notation a tool is addressed as to=functions.get_weather.",
    ),
    ("empty", ""),
    ("whitespace", "  \n\t"),
]
