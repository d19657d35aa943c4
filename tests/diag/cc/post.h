struct post {
  const char *title;
  int id;
};
