// Photo thumbnails (short-lived presigned URLs from GET /photos/{id}) that open full size in a lightbox.
import { photoUrl } from "./api.js";
import { clear, h } from "./dom.js";

export function thumbnail(photoId, caption = "") {
  const img = h("img", { class: "thumb", alt: caption || "photo", "data-photo": photoId });
  const link = h("a", { href: "#", class: "thumb-link", title: caption }, img);
  photoUrl(photoId).then((url) => { img.src = url; }, () => { img.alt = "✕"; });
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const box = clear(document.getElementById("lightbox"));
    box.append(h("img", { class: "full", src: await photoUrl(photoId), alt: caption || "photo", id: "full-photo" }));
    box.hidden = false;
  });
  return link;
}
