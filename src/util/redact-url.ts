/** A URL fit for messages, logs and records: user and password (a mirror's token) removed. */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.username === "" && u.password === "") return url;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, "//");
  }
};
