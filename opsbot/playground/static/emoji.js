// Emoji shortcodes as Slack shows them: every one opsbot's messages use, and
// the common ones people type. An unknown shortcode stays as typed, as in Slack.
export const EMOJI = {
  "+1": "👍", thumbsup: "👍", "-1": "👎", thumbsdown: "👎",
  "1234": "🔢", arrow_down: "⬇️", arrow_up: "⬆️", arrow_right: "➡️", arrow_left: "⬅️",
  bell: "🔔", no_bell: "🔕", calendar: "📆", clock1: "🕐", data: "💾",
  double_vertical_bar: "⏸️", eyes: "👀", gear: "⚙️", grey_question: "❔", question: "❓",
  heavy_check_mark: "✔️", hourglass: "⌛", hourglass_flowing_sand: "⏳", information_source: "ℹ️",
  key: "🔑", lock: "🔒", unlock: "🔓", mag: "🔍", memo: "📝", no_entry: "⛔", no_entry_sign: "🚫",
  receipt: "🧾", repeat: "🔁", satellite_antenna: "📡", sos: "🆘", warning: "⚠️",
  white_check_mark: "✅", x: "❌", tada: "🎉", rocket: "🚀", fire: "🔥", wave: "👋",
  smile: "😄", slightly_smiling_face: "🙂", wink: "😉", thinking_face: "🤔", pray: "🙏",
  heart: "❤️", star: "⭐", sparkles: "✨", zap: "⚡", bulb: "💡", wrench: "🔧", hammer: "🔨",
  package: "📦", globe_with_meridians: "🌐", link: "🔗", email: "📧", envelope: "✉️",
  bookmark: "🔖", pushpin: "📌", pencil: "📝", pencil2: "✏️", speech_balloon: "💬",
  red_circle: "🔴", large_green_circle: "🟢", large_yellow_circle: "🟡", large_blue_circle: "🔵",
  white_circle: "⚪", black_circle: "⚫", stopwatch: "⏱️", timer_clock: "⏲️", alarm_clock: "⏰",
  construction: "🚧", rotating_light: "🚨", lock_with_ink_pen: "🔏", closed_lock_with_key: "🔐",
  bust_in_silhouette: "👤", busts_in_silhouette: "👥", robot_face: "🤖", ok: "🆗", new: "🆕",
  heavy_plus_sign: "➕", heavy_minus_sign: "➖", heavy_multiplication_x: "✖️",
  raised_hand: "✋", exclamation: "❗", bangbang: "‼️", interrobang: "⁉️", arrows_counterclockwise: "🔄",
  leftwards_arrow_with_hook: "↩️", arrow_forward: "▶️", pause_button: "⏸️", stop_button: "⏹️",
  clipboard: "📋", page_facing_up: "📄", bar_chart: "📊", chart_with_upwards_trend: "📈",
};

export function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] ?? whole);
}
