"""The Responses API JSON shapes this adapter reads and sends, as ``TypedDict`` s.

They document the fields the code uses and let the type checker follow them. What is read:
specs/004-responses-wire-format/spec.md §"Response object", §"Streaming events" and
§"Errors"; what is sent: spec 004 §"Input items". A ``TypedDict`` is a plain ``dict`` at
runtime: nothing is validated and nothing costs time on the streaming hot path.

What is read comes from the upstream as parsed JSON and is NOT checked against these shapes:
any key may be missing (every received shape is ``total=False``), ``null`` or of another
type on a third-party server (spec 004 §"Third-party deviations"). The declared types are
the documented ones; readers keep their ``isinstance`` checks where a wrong type would
matter. Keys not listed stay as they came (a reasoning item is stored for replay whole).
What is sent is built by this adapter and has exactly the declared shape.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict, final

#: ``response.status`` (a ``failed`` response carries ``error``)
ResponseStatus = Literal["completed", "incomplete", "failed", "in_progress", "queued", "cancelled"]
#: an output item's ``status``
ItemStatus = Literal["in_progress", "completed", "incomplete"]

# -- received: the response object and its parts (spec 004 §"Response object") -------------


class ErrorObject(TypedDict, total=False):
    """An error: ``response.error``, the body of an HTTP error, or nested under ``error`` in
    an ``error`` event (spec 004 §"Errors"). ``code`` such as ``rate_limit_exceeded``."""

    code: str | None
    message: str
    type: str
    param: str | None


class Annotation(TypedDict, total=False):
    """An annotation of an ``output_text`` part; the adapter keeps ``url_citation`` ones
    (``url``, ``title``) for the sources footer."""

    type: str
    url: str
    title: str
    start_index: int
    end_index: int


class OutputContent(TypedDict, total=False):
    """A content part of an output item: of a ``message`` an ``output_text`` (``text``,
    ``annotations``) or a ``refusal`` (``refusal``); of a ``reasoning`` item a
    ``summary_text`` (its ``summary``) or a ``reasoning_text`` (its ``content``)."""

    type: str
    text: str
    refusal: str
    annotations: list[Annotation]


class OutputItem(TypedDict, total=False):
    """One item of ``response.output`` (also the ``item`` of ``output_item.added`` /
    ``.done``). ``type`` tells which fields it has:

    * ``message``: ``role``, ``content`` (output parts);
    * ``function_call``: ``id`` (``fc_…``), ``call_id`` (``call_…``, pairs it with its
      output), ``name``, ``arguments`` (a JSON string; ``""`` means ``{}``);
    * ``reasoning``: ``id`` (``rs_…``), ``summary`` and ``content`` parts,
      ``encrypted_content`` (with ``include``);
    * ``image_generation_call``: ``result`` (the image, base64).

    Other item types (hosted tool calls) are not read.
    """

    type: str
    id: str
    status: ItemStatus
    role: str
    content: list[OutputContent]
    call_id: str
    name: str
    arguments: str
    summary: list[OutputContent]
    encrypted_content: str
    result: str


class InputTokensDetails(TypedDict, total=False):
    """``usage.input_tokens_details``."""

    cached_tokens: int


class OutputTokensDetails(TypedDict, total=False):
    """``usage.output_tokens_details``."""

    reasoning_tokens: int


class ResponseUsage(TypedDict, total=False):
    """``response.usage`` (tokens): ``input_tokens`` includes the cached ones,
    ``output_tokens`` the reasoning ones. Only on the terminal event of a stream."""

    input_tokens: int
    input_tokens_details: InputTokensDetails | None
    output_tokens: int
    output_tokens_details: OutputTokensDetails | None
    total_tokens: int


class IncompleteDetails(TypedDict, total=False):
    """``response.incomplete_details``: ``reason`` is ``max_output_tokens`` or
    ``content_filter``."""

    reason: str


class ResponseObject(TypedDict, total=False):
    """A ``Response``: the JSON body of a non-stream answer, the ``response`` of the
    lifecycle events."""

    id: str
    object: str
    model: str
    status: ResponseStatus
    output: list[OutputItem]
    usage: ResponseUsage | None
    incomplete_details: IncompleteDetails | None
    error: ErrorObject | None


# -- received: stream events (spec 004 §"Streaming events") --------------------------------


class StreamEvent(TypedDict, total=False):
    """One event of a Responses stream: the JSON ``data`` of one SSE event.

    ``type`` names the event and which other fields it carries (spec 004's table):

    * lifecycle (``response.created`` … ``response.completed`` / ``.incomplete`` /
      ``.failed``; ``response.done`` from some relays): ``response``;
    * ``response.output_item.added`` / ``.done``: ``output_index``, ``item``;
    * part events (``output_text.delta`` / ``.done``, ``content_part.*``, ``refusal.delta``,
      ``reasoning_summary_text.*``, ``reasoning_summary_part.*``, ``reasoning_text.*``,
      ``output_text.annotation.added``): ``item_id``, ``output_index`` and
      ``content_index`` or ``summary_index``, then ``delta``, ``text``, ``part`` or
      ``annotation``;
    * ``response.function_call_arguments.delta`` / ``.done``: ``item_id``,
      ``output_index``, ``delta`` / ``arguments`` (and ``name`` in some SDK versions);
    * ``error``: the :class:`ErrorObject` fields at the top level (documented), or nested
      under ``error`` (seen on other servers).

    ``sequence_number`` numbers the events (missing on many relays; not read).
    """

    type: str
    sequence_number: int
    response: ResponseObject
    output_index: int
    item: OutputItem
    item_id: str
    content_index: int
    summary_index: int
    delta: str
    text: str
    part: OutputContent
    annotation_index: int
    annotation: Annotation
    arguments: str
    name: str
    code: str | None
    message: str
    param: str | None
    error: ErrorObject


# -- sent: input items (spec 004 §"Input items") --------------------------------------------


class InputText(TypedDict):
    """An ``input_text`` content part."""

    type: Literal["input_text"]
    text: str


class InputImage(TypedDict):
    """An ``input_image`` content part: ``image_url`` is an http(s) or ``data:`` URL."""

    type: Literal["input_image"]
    image_url: str
    detail: str


#: a content part of a user or developer message
InputContent = InputText | InputImage


@final  # closed: lets ``"call_id" in item`` tell the tool items of :data:`InputItem` apart
class MessageInput(TypedDict):
    """A message: ``user`` / ``developer`` content is a list of parts, ``assistant``
    content the text."""

    role: Literal["user", "developer", "assistant"]
    content: str | list[InputContent]


class FunctionCallInput(TypedDict):
    """A function call the model made (replayed): ``arguments`` is a JSON string."""

    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str


class FunctionCallOutputInput(TypedDict):
    """The result of a function call, paired with it by ``call_id``."""

    type: Literal["function_call_output"]
    call_id: str
    output: str


class SummaryText(TypedDict):
    """A ``summary_text`` part of a replayed reasoning item."""

    type: Literal["summary_text"]
    text: str


@final
class ReasoningInput(TypedDict):
    """A reasoning item replayed statelessly: only with its ``encrypted_content``."""

    type: Literal["reasoning"]
    id: NotRequired[str]
    summary: list[SummaryText]
    encrypted_content: str


#: one item of the request's ``input``
InputItem = MessageInput | FunctionCallInput | FunctionCallOutputInput | ReasoningInput


__all__ = [
    "Annotation",
    "ErrorObject",
    "FunctionCallInput",
    "FunctionCallOutputInput",
    "IncompleteDetails",
    "InputContent",
    "InputImage",
    "InputItem",
    "InputText",
    "InputTokensDetails",
    "ItemStatus",
    "MessageInput",
    "OutputContent",
    "OutputItem",
    "OutputTokensDetails",
    "ReasoningInput",
    "ResponseObject",
    "ResponseStatus",
    "ResponseUsage",
    "StreamEvent",
    "SummaryText",
]
